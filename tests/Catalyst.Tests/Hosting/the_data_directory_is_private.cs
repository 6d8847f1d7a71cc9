using Catalyst.Tests.Infrastructure;
using Npgsql;

namespace Catalyst.Tests.Hosting;

/// <summary>
/// What a workspace running as arbitrary code once did: read the master key file and open the embedded PostgreSQL's
/// socket, which trusted anyone. The real Host, started on a data directory left loose by hand or by an older version.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class the_data_directory_is_private : IAsyncLifetime
{
    private const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
                                              | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), $"catalyst-private-{Guid.NewGuid():N}"[..29]);
    private string Cluster => Path.Combine(_dataDirectory, "postgres");
    private string KeyFile => Path.Combine(_dataDirectory, "encryption-keys");

    [Fact]
    public async Task the_key_file_and_the_database_are_closed_to_other_users_and_the_database_needs_its_password()
    {
        Directory.CreateDirectory(_dataDirectory);
        File.SetUnixFileMode(_dataDirectory, (UnixFileMode)0b111_101_101);
        File.WriteAllText(KeyFile, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)) + "\n");
        File.SetUnixFileMode(KeyFile, (UnixFileMode)0b110_100_100);

        await using (var host = await HostProcess.StartAsync(_dataDirectory, HostProcess.FreePort()))
        {
            File.GetUnixFileMode(_dataDirectory).ShouldBe((UnixFileMode)0b111_001_001, "the data directory: traversable, not listable");
            File.GetUnixFileMode(KeyFile).ShouldBe((UnixFileMode)0b110_000_000, "a key file left 0644 is tightened");
            (File.GetUnixFileMode(Cluster) & GroupOrOther).ShouldBe((UnixFileMode)0, "the cluster directory");
            (File.GetUnixFileMode(Path.Combine(Cluster, "run")) & GroupOrOther).ShouldBe((UnixFileMode)0, "the socket directory");
            File.GetUnixFileMode(Path.Combine(Cluster, "password")).ShouldBe((UnixFileMode)0b110_000_000, "the database password file");

            EmbeddedDatabase.ShouldRequireItsPassword(Cluster);
            await EmbeddedDatabase.ShouldRefuseConnectionsWithoutThePassword(Cluster);
            await EmbeddedDatabase.ShouldAcceptThePasswordInItsFile(Cluster);
        }
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync()
    {
        try { Directory.Delete(_dataDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        return ValueTask.CompletedTask;
    }
}

/// <summary>Checks of an embedded cluster's door, from outside the Host: the socket in <c>run</c>, the password in <c>password</c>.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public static class EmbeddedDatabase
{
    public static string Connection(string cluster, string? password) => new NpgsqlConnectionStringBuilder
    {
        Host = Path.Combine(cluster, "run"), Port = 5432, Username = "postgres", Database = "postgres", Password = password, Pooling = false,
    }.ConnectionString;

    public static void ShouldRequireItsPassword(string cluster)
    {
        var rules = File.ReadAllLines(Path.Combine(cluster, "data", "pg_hba.conf"))
            .Select(l => l.Split('#', 2)[0].Trim()).Where(l => l.Length > 0).ToList();
        rules.ShouldNotBeEmpty();
        rules.ShouldAllBe(rule => !rule.Contains("trust"));
        rules.ShouldContain(rule => rule.StartsWith("local") && rule.EndsWith("scram-sha-256"));
    }

    public static async Task ShouldRefuseConnectionsWithoutThePassword(string cluster)
    {
        var none = await Should.ThrowAsync<NpgsqlException>(() => Open(Connection(cluster, null)));
        none.Message.ShouldContain("password");
        var wrong = await Should.ThrowAsync<PostgresException>(() => Open(Connection(cluster, "not the password")));
        wrong.SqlState.ShouldBe(PostgresErrorCodes.InvalidPassword);
    }

    public static async Task ShouldAcceptThePasswordInItsFile(string cluster) =>
        await Open(Connection(cluster, File.ReadAllText(Path.Combine(cluster, "password")).Trim()));

    private static async Task Open(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select 1", connection);
        (await command.ExecuteScalarAsync()).ShouldBe(1);
    }
}
