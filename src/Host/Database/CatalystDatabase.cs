using Microsoft.Extensions.Configuration;

namespace Catalyst.Host.Database;

/// <summary>Where the Host keeps its files, and which PostgreSQL it talks to.</summary>
public sealed class CatalystDatabase : IAsyncDisposable
{
    private readonly PostgresCluster? _embedded;

    private CatalystDatabase(string connectionString, PostgresCluster? embedded)
    {
        ConnectionString = connectionString;
        _embedded = embedded;
    }

    public string ConnectionString { get; }
    public bool IsEmbedded => _embedded is not null;

    /// <summary>The embedded cluster, or null with a configured connection string.</summary>
    public PostgresCluster? Embedded => _embedded;

    public static string DataDirectory(IConfiguration configuration) => Catalyst.Contracts.CatalystPaths.DataDirectory(configuration);

    /// <summary>The configured connection string, or else the embedded cluster under the data directory, started now.</summary>
    public static async Task<CatalystDatabase> OpenAsync(IConfiguration configuration)
    {
        var configured = configuration.GetConnectionString("Catalyst");
        if (!string.IsNullOrWhiteSpace(configured)) return new CatalystDatabase(configured, null);

        var cluster = await PostgresCluster.StartAsync(Path.Combine(DataDirectory(configuration), "postgres"), throwaway: false);
        return new CatalystDatabase(cluster.ConnectionString(), cluster);
    }

    public async ValueTask DisposeAsync()
    {
        if (_embedded is not null) await _embedded.DisposeAsync();
    }
}
