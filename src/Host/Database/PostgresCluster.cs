using System.Diagnostics;
using Npgsql;

namespace Catalyst.Host.Database;

/// <summary>
/// A PostgreSQL cluster that Catalyst owns: initialised on first use in a directory, started, and stopped again.
/// The embedded default of the Host and the throwaway database of the tests are the same code.
/// </summary>
public sealed class PostgresCluster : IAsyncDisposable
{
    private const int Port = 5432;
    private readonly string _bin;
    private readonly bool _throwaway;
    private readonly bool _asPostgresUser;
    private bool _startedHere;

    private PostgresCluster(string directory, string bin, bool throwaway)
    {
        Directory = Path.GetFullPath(directory);
        _bin = bin;
        _throwaway = throwaway;
        _asPostgresUser = Environment.IsPrivilegedProcess;
    }

    public string Directory { get; }
    private string DataDirectory => Path.Combine(Directory, "data");
    private string SocketDirectory => Path.Combine(Directory, "run");
    private string LogFile => Path.Combine(Directory, "postgres.log");

    public string ConnectionString(string database = "catalyst") => new NpgsqlConnectionStringBuilder
    {
        Host = SocketDirectory,
        Port = Port,
        Username = "postgres",
        Database = database,
        MaxPoolSize = 50,
    }.ConnectionString;

    /// <summary>Initialises the cluster if it is new, starts it unless it already runs, and creates the database.</summary>
    public static async Task<PostgresCluster> StartAsync(string directory, bool throwaway, CancellationToken ct = default)
    {
        var bin = FindServerBinaries() ?? throw new InvalidOperationException(MissingBinariesMessage);
        var cluster = new PostgresCluster(directory, bin, throwaway);
        await cluster.InitialiseAndStartAsync(ct);
        return cluster;
    }

    public const string MissingBinariesMessage =
        "Catalyst needs the PostgreSQL server programs (initdb, pg_ctl) for its embedded database and found none " +
        "(looked in $CATALYST_POSTGRES_BIN, /usr/lib/postgresql/*/bin, /usr/local/pgsql/bin and PATH). " +
        "Install them (Debian/Ubuntu: apt-get install postgresql; Fedora: dnf install postgresql-server; macOS: brew install postgresql@16), " +
        "or set ConnectionStrings__Catalyst to an existing PostgreSQL database.";

    public static string? FindServerBinaries()
    {
        static bool Has(string dir) => File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl"));

        var configured = Environment.GetEnvironmentVariable("CATALYST_POSTGRES_BIN");
        if (!string.IsNullOrWhiteSpace(configured)) return Has(configured) ? configured : null;

        var candidates = new List<string>();
        if (System.IO.Directory.Exists("/usr/lib/postgresql"))
        {
            candidates.AddRange(System.IO.Directory.GetDirectories("/usr/lib/postgresql")
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0)
                .Select(d => Path.Combine(d, "bin")));
        }
        candidates.Add("/usr/local/pgsql/bin");
        candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries));
        return candidates.FirstOrDefault(Has);
    }

    private async Task InitialiseAndStartAsync(CancellationToken ct)
    {
        System.IO.Directory.CreateDirectory(Directory);
        System.IO.Directory.CreateDirectory(SocketDirectory);
        if (_asPostgresUser)
        {
            // PostgreSQL refuses to run as root: the cluster belongs to the postgres account.
            MakeReachableByOthers(Directory);
            await RunAsync("chown", ["-R", "postgres:postgres", Directory], asPostgres: false, ct);
        }

        if (!File.Exists(Path.Combine(DataDirectory, "PG_VERSION")))
        {
            List<string> initdb = ["-D", DataDirectory, "-U", "postgres", "--auth=trust", "--locale=C.UTF-8", "-E", "UTF8"];
            if (_throwaway) initdb.Add("--no-sync");
            await RunAsync(Path.Combine(_bin, "initdb"), initdb, _asPostgresUser, ct);
        }

        var running = await RunAsync(Path.Combine(_bin, "pg_ctl"), ["status", "-D", DataDirectory], _asPostgresUser, ct, throwOnError: false);
        if (running.ExitCode != 0)
        {
            // Only the Unix socket in our own directory: no TCP port to collide with or to expose.
            var options = $"-k {SocketDirectory} -p {Port} -c listen_addresses=''";
            if (_throwaway) options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off";
            await RunAsync(Path.Combine(_bin, "pg_ctl"),
                ["start", "-w", "-t", "60", "-D", DataDirectory, "-l", LogFile, "-o", options], _asPostgresUser, ct);
            _startedHere = true;
        }

        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync(ct);
        await using var exists = new NpgsqlCommand("select 1 from pg_database where datname = 'catalyst'", connection);
        if (await exists.ExecuteScalarAsync(ct) is null)
        {
            await using var create = new NpgsqlCommand("create database catalyst", connection);
            await create.ExecuteNonQueryAsync(ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_startedHere || _throwaway)
        {
            await RunAsync(Path.Combine(_bin, "pg_ctl"),
                ["stop", "-w", "-D", DataDirectory, "-m", _throwaway ? "immediate" : "fast"], _asPostgresUser, CancellationToken.None, throwOnError: false);
        }
        if (_throwaway)
        {
            try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
        }
    }

    private static void MakeReachableByOthers(string directory)
    {
        // The postgres account must be able to walk down to the cluster (e.g. through /root): add only the search bit.
        if (OperatingSystem.IsWindows()) return;
        for (var dir = new DirectoryInfo(directory).Parent; dir is not null; dir = dir.Parent)
        {
            var mode = File.GetUnixFileMode(dir.FullName);
            if (!mode.HasFlag(UnixFileMode.OtherExecute)) File.SetUnixFileMode(dir.FullName, mode | UnixFileMode.OtherExecute);
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string program, IReadOnlyList<string> args, bool asPostgres,
        CancellationToken ct, bool throwOnError = true)
    {
        var start = new ProcessStartInfo(asPostgres ? "runuser" : program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        if (asPostgres)
        {
            foreach (var a in new[] { "-u", "postgres", "--", program }) start.ArgumentList.Add(a);
        }
        foreach (var a in args) start.ArgumentList.Add(a);

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        var output = (await stdout + await stderr).Trim();
        if (throwOnError && process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(program)} {string.Join(' ', args)} failed ({process.ExitCode}): {output}");
        }
        return (process.ExitCode, output);
    }
}
