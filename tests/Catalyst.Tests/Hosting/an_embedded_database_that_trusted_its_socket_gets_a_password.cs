using System.Diagnostics;
using Catalyst.Host.Database;
using Npgsql;

namespace Catalyst.Tests.Hosting;

/// <summary>A data directory made by an older Catalyst: its cluster let anyone on the socket in as postgres (initdb --auth=trust).</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class an_embedded_database_that_trusted_its_socket_gets_a_password : IAsyncLifetime
{
    private readonly string _cluster = Path.Combine(Path.GetTempPath(), $"catalyst-trusting-{Guid.NewGuid():N}"[..30]);

    [Fact]
    public async Task starting_it_sets_a_password_requires_it_and_keeps_the_data()
    {
        await MakeTrustingClusterWithARow();

        await using (var cluster = await PostgresCluster.StartAsync(_cluster, throwaway: false))
        {
            EmbeddedDatabase.ShouldRequireItsPassword(_cluster);
            await EmbeddedDatabase.ShouldRefuseConnectionsWithoutThePassword(_cluster);
            File.GetUnixFileMode(Path.Combine(_cluster, "password")).ShouldBe((UnixFileMode)0b110_000_000);
            File.GetUnixFileMode(Path.Combine(_cluster, "run")).ShouldBe((UnixFileMode)0b111_000_000, "the old socket directory was 0755");
            (await Scalar(cluster.ConnectionString(), "select note from kept")).ShouldBe("written before the upgrade");
        }

        // The next start finds the password in its file.
        await using (var again = await PostgresCluster.StartAsync(_cluster, throwaway: false))
        {
            (await Scalar(again.ConnectionString(), "select note from kept")).ShouldBe("written before the upgrade");
            await EmbeddedDatabase.ShouldRefuseConnectionsWithoutThePassword(_cluster);
        }

        // A lost password file is not papered over with a new password the server does not know.
        File.Delete(Path.Combine(_cluster, "password"));
        var lost = await Should.ThrowAsync<InvalidOperationException>(() => PostgresCluster.StartAsync(_cluster, throwaway: false));
        lost.Message.ShouldContain($"{Path.Combine(_cluster, "password")}, is missing");
        File.Exists(Path.Combine(_cluster, "password")).ShouldBeFalse();
    }

    /// <summary>What the older Catalyst did: a 0755 socket directory, trust on the socket, a database named catalyst.</summary>
    private async Task MakeTrustingClusterWithARow()
    {
        var bin = PostgresCluster.FindServerBinaries().ShouldNotBeNull();
        var run = Path.Combine(_cluster, "run");
        Directory.CreateDirectory(run);
        File.SetUnixFileMode(run, (UnixFileMode)0b111_101_101);
        if (Environment.IsPrivilegedProcess) await Run("chown", false, "-R", "postgres:postgres", _cluster);
        var data = Path.Combine(_cluster, "data");
        await Run(Path.Combine(bin, "initdb"), Environment.IsPrivilegedProcess, "-D", data, "-U", "postgres", "--auth=trust", "--locale=C.UTF-8", "-E", "UTF8", "--no-sync");
        await Run(Path.Combine(bin, "pg_ctl"), Environment.IsPrivilegedProcess, "start", "-w", "-D", data, "-l", Path.Combine(_cluster, "postgres.log"),
            "-o", $"-k {run} -p 5432 -c listen_addresses='' -c fsync=off");
        try
        {
            var trusted = EmbeddedDatabase.Connection(_cluster, null);
            await Scalar(trusted, "create database catalyst");
            var catalyst = new NpgsqlConnectionStringBuilder(trusted) { Database = "catalyst" }.ConnectionString;
            await Scalar(catalyst, "create table kept (note text); insert into kept values ('written before the upgrade')");
        }
        finally
        {
            await Run(Path.Combine(bin, "pg_ctl"), Environment.IsPrivilegedProcess, "stop", "-w", "-m", "fast", "-D", data);
        }
    }

    private static async Task<object?> Scalar(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    private static async Task Run(string program, bool asPostgres, params string[] args)
    {
        var start = new ProcessStartInfo(asPostgres ? "runuser" : program) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        if (asPostgres) foreach (var a in new[] { "-u", "postgres", "--", program }) start.ArgumentList.Add(a);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        process.ExitCode.ShouldBe(0, $"{program} {string.Join(' ', args)}: {await output}{await error}");
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        var bin = PostgresCluster.FindServerBinaries();
        if (bin is not null && File.Exists(Path.Combine(_cluster, "data", "postmaster.pid")))
        {
            try { await Run(Path.Combine(bin, "pg_ctl"), Environment.IsPrivilegedProcess, "stop", "-m", "immediate", "-D", Path.Combine(_cluster, "data")); }
            catch (Exception) { }
        }
        try { Directory.Delete(_cluster, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
