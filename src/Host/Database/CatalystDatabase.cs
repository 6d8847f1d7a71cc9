using Microsoft.Extensions.Configuration;

namespace Catalyst.Host.Database;

/// <summary>Where the Host keeps its files, and which PostgreSQL it talks to.</summary>
public sealed class CatalystDatabase : IAsyncDisposable
{
    private readonly PostgresCluster? _embedded;

    private CatalystDatabase(string connectionString, PostgresCluster? embedded)
    {
        ConnectionString = WithAutoPrepare(connectionString);
        _embedded = embedded;
    }

    /// <summary>
    /// Statements the Host sends again and again (a session's check, a project's task list) are prepared on each pooled
    /// connection after a few uses, so PostgreSQL parses and plans them once: about a tenth less of its time per page. A
    /// connection string that says otherwise (say <c>Max Auto Prepare=0</c> behind a pooler in transaction mode) is kept.
    /// </summary>
    public static string WithAutoPrepare(string connectionString)
    {
        if (connectionString.Contains("auto prepare", StringComparison.OrdinalIgnoreCase) || connectionString.Contains("autoprepare", StringComparison.OrdinalIgnoreCase))
            return connectionString;
        return new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { MaxAutoPrepare = 64 }.ConnectionString;
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
