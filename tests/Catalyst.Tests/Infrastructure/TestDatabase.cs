using Catalyst.Host.Database;
using Npgsql;
using Testcontainers.PostgreSql;

namespace Catalyst.Tests.Infrastructure;

/// <summary>
/// One real PostgreSQL for the whole run: a Testcontainers container when a Docker engine answers,
/// otherwise a throwaway local cluster started here and removed afterwards. Each host gets its own database.
/// </summary>
public sealed class TestDatabase : IAsyncLifetime
{
    private PostgreSqlContainer? _container;
    private PostgresCluster? _cluster;
    private string _serverConnection = "";

    public string Engine { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        if (await DockerEngineAnswers())
        {
            _container = new PostgreSqlBuilder("postgres:15-alpine").Build();
            await _container.StartAsync();
            _serverConnection = _container.GetConnectionString();
            Engine = "testcontainers";
        }
        else
        {
            _cluster = await PostgresCluster.StartAsync(Path.Combine(Path.GetTempPath(), $"catalyst-test-pg-{Guid.NewGuid():N}"[..32]), throwaway: true);
            _serverConnection = _cluster.ConnectionString("postgres");
            Engine = "local cluster";
        }
    }

    /// <summary>A fresh, empty database on the shared server.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        await using var connection = new NpgsqlConnection(_serverConnection);
        await connection.OpenAsync();
        await using (var drop = new NpgsqlCommand($"drop database if exists {name} with (force)", connection)) await drop.ExecuteNonQueryAsync();
        await using (var create = new NpgsqlCommand($"create database {name}", connection)) await create.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(_serverConnection) { Database = name }.ConnectionString;
    }

    public async ValueTask DisposeAsync()
    {
        if (_container is not null) await _container.DisposeAsync();
        if (_cluster is not null) await _cluster.DisposeAsync();
    }

    private static async Task<bool> DockerEngineAnswers()
    {
        var host = Environment.GetEnvironmentVariable("DOCKER_HOST");
        var socket = host is { Length: > 0 } && host.StartsWith("unix://") ? host["unix://".Length..] : "/var/run/docker.sock";
        if (host is { Length: > 0 } && !host.StartsWith("unix://")) return true;
        if (!File.Exists(socket)) return false;
        try
        {
            using var http = new HttpClient(new SocketsHttpHandler
            {
                ConnectCallback = async (_, ct) =>
                {
                    var s = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
                    await s.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(socket), ct);
                    return new System.Net.Sockets.NetworkStream(s, ownsSocket: true);
                },
            }) { Timeout = TimeSpan.FromSeconds(3) };
            var response = await http.GetAsync("http://docker/_ping");
            return response.IsSuccessStatusCode;
        }
        catch (Exception)
        {
            return false;
        }
    }
}
