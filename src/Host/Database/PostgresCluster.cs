using System.Diagnostics;
using System.Security.Cryptography;
using Npgsql;

namespace Catalyst.Host.Database;

/// <summary>
/// A PostgreSQL cluster that Catalyst owns: initialised on first use in a directory, started, and stopped again.
/// The embedded default of the Host and the throwaway database of the tests are the same code.
/// Only the Host's user (and the postgres account when the Host is root) can reach it: the directory and the socket
/// directory are 0700, there is no TCP port, and every connection needs the password kept in <c>password</c> (0600).
/// </summary>
public sealed class PostgresCluster : IAsyncDisposable
{
    private const int Port = 5432;
    private readonly string _bin;
    private readonly bool _throwaway;
    private readonly bool _asPostgresUser;
    private string _password = "";
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private PostgresCluster(string directory, string bin, bool throwaway)
    {
        Directory = Path.GetFullPath(directory);
        _bin = bin;
        _throwaway = throwaway;
        _asPostgresUser = Environment.IsPrivilegedProcess;
    }

    public string Directory { get; }

    /// <summary>The cluster was already running when Catalyst started (left by a Host that was killed): Catalyst took it over, and stops it all the same.</summary>
    public bool Adopted { get; private set; }

    /// <summary>The server's log: what PostgreSQL said when it stopped or would not start.</summary>
    public string LogFile => Path.Combine(Directory, "postgres.log");

    private string DataDirectory => Path.Combine(Directory, "data");
    private string SocketDirectory => Path.Combine(Directory, "run");
    private string PasswordFile => Path.Combine(Directory, "password");
    private string HbaFile => Path.Combine(DataDirectory, "pg_hba.conf");

    public string ConnectionString(string database = "catalyst") => new NpgsqlConnectionStringBuilder
    {
        Host = SocketDirectory,
        Port = Port,
        Username = "postgres",
        Password = _password,
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
        CreatePrivateDirectory(Directory);
        CreatePrivateDirectory(SocketDirectory);
        _password = ReadOrCreatePassword();
        if (_asPostgresUser)
        {
            // PostgreSQL refuses to run as root: the cluster belongs to the postgres account. The password file stays root's.
            MakeReachableByOthers(Directory);
            await RunAsync("chown", ["postgres:postgres", Directory, SocketDirectory], asPostgres: false, ct);
            if (System.IO.Directory.Exists(DataDirectory)) await RunAsync("chown", ["-R", "postgres:postgres", DataDirectory], asPostgres: false, ct);
            if (File.Exists(LogFile)) await RunAsync("chown", ["postgres:postgres", LogFile], asPostgres: false, ct);
        }

        if (!File.Exists(Path.Combine(DataDirectory, "PG_VERSION"))) await InitialiseAsync(ct);

        var running = await RunAsync(Path.Combine(_bin, "pg_ctl"), ["status", "-D", DataDirectory], _asPostgresUser, ct, throwOnError: false);
        // A postmaster.pid left by a killed server is no server to adopt: its process may still be a zombie nobody reaped
        // (pg_ctl counts it as running), or its pid may belong to another program since.
        if (running.ExitCode == 0 && !IsRunning()) running = (3, running.Output);
        if (running.ExitCode != 0) await StartServerAsync(ct);
        else Adopted = true;

        if (HbaTrustsSomeone()) await RequirePasswordAsync(ct);

        // An adopted server may still be starting (one started by a Host that was killed meanwhile, say): it gets a minute
        // to take connections.
        await using var connection = await OpenWhenReadyAsync(TimeSpan.FromSeconds(Adopted ? 60 : 0), ct);
        await using var exists = new NpgsqlCommand("select 1 from pg_database where datname = 'catalyst'", connection);
        if (await exists.ExecuteScalarAsync(ct) is null)
        {
            await using var create = new NpgsqlCommand("create database catalyst", connection);
            await create.ExecuteNonQueryAsync(ct);
        }
    }

    private async Task StartServerAsync(CancellationToken ct)
    {
        RemoveStaleLocks();
        // Only the Unix socket in our own directory: no TCP port to collide with or to expose.
        var options = $"-k {SocketDirectory} -p {Port} -c listen_addresses='' -c unix_socket_permissions=0700";
        if (_throwaway) options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off";
        await RunAsync(Path.Combine(_bin, "pg_ctl"),
            ["start", "-w", "-t", "60", "-D", DataDirectory, "-l", LogFile, "-o", options], _asPostgresUser, ct);
    }

    /// <summary>
    /// Whether the server process runs: the pid in <c>postmaster.pid</c> is a live process (not a zombie). Cheap enough to
    /// ask every few seconds (a file and /proc, no connection).
    /// </summary>
    public bool IsRunning() => LockHeldByLiveServer(Path.Combine(DataDirectory, "postmaster.pid"));

    /// <summary>
    /// Whether the pid a PostgreSQL lock file names is a live PostgreSQL process: not gone, not a zombie its parent has not
    /// reaped yet, not another program that got the pid since.
    /// </summary>
    private static bool LockHeldByLiveServer(string lockFile)
    {
        try
        {
            var first = File.ReadLines(lockFile).FirstOrDefault();
            if (!int.TryParse(first, out var pid) || pid <= 0) return false;
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // "pid (comm) S ...": the name is between the parentheses, the state follows the last ')'.
            var name = stat[(stat.IndexOf('(') + 1)..stat.LastIndexOf(')')];
            var state = stat[(stat.LastIndexOf(')') + 1)..].TrimStart();
            return state.Length > 0 && state[0] is not ('Z' or 'X') && name is "postgres" or "postmaster";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // no lock file, or no such process
        }
    }

    /// <summary>
    /// The lock files of a server that is gone, removed before a start: PostgreSQL clears them itself unless their pid
    /// still answers, which a killed server's zombie does (a container's init may reap it late) and a reused pid does.
    /// </summary>
    private void RemoveStaleLocks()
    {
        foreach (var lockFile in new[] { Path.Combine(DataDirectory, "postmaster.pid"), Path.Combine(SocketDirectory, $".s.PGSQL.{Port}.lock") })
            if (File.Exists(lockFile) && !LockHeldByLiveServer(lockFile))
                try { File.Delete(lockFile); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private async Task<NpgsqlConnection> OpenWhenReadyAsync(TimeSpan patience, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + patience;
        while (true)
        {
            var connection = new NpgsqlConnection(ConnectionString("postgres"));
            try
            {
                await connection.OpenAsync(ct);
                return connection;
            }
            catch (NpgsqlException e) when (DateTime.UtcNow < deadline && (e.InnerException is System.Net.Sockets.SocketException
                                                || e is PostgresException { SqlState: PostgresErrorCodes.CannotConnectNow }))
            {
                await connection.DisposeAsync();
                NpgsqlConnection.ClearAllPools();
                await Task.Delay(200, ct);
            }
            catch
            {
                await connection.DisposeAsync();
                throw;
            }
        }
    }

    /// <summary>Starts the server again after it died (a stale <c>postmaster.pid</c> is PostgreSQL's own to clear). Throws when it does not start.</summary>
    public async Task RestartAsync(CancellationToken ct)
    {
        await StartServerAsync(ct);
        // Pooled connections point at the dead server.
        NpgsqlConnection.ClearAllPools();
    }

    private async Task InitialiseAsync(CancellationToken ct)
    {
        // initdb reads the password from a file; when it runs as postgres it cannot read root's, so it gets a copy it owns for the moment.
        var pwfile = Path.Combine(Directory, "initdb-password");
        WritePrivate(pwfile, _password);
        try
        {
            if (_asPostgresUser) await RunAsync("chown", ["postgres:postgres", pwfile], asPostgres: false, ct);
            List<string> initdb = ["-D", DataDirectory, "-U", "postgres", "--auth=scram-sha-256", $"--pwfile={pwfile}", "--locale=C.UTF-8", "-E", "UTF8"];
            if (_throwaway) initdb.Add("--no-sync");
            await RunAsync(Path.Combine(_bin, "initdb"), initdb, _asPostgresUser, ct);
        }
        finally
        {
            File.Delete(pwfile);
        }
    }

    private string ReadOrCreatePassword()
    {
        if (File.Exists(PasswordFile))
        {
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(PasswordFile, OwnerReadWrite);
            var stored = File.ReadAllText(PasswordFile).Trim();
            if (stored.Length > 0) return stored;
            throw new InvalidOperationException($"The database password file {PasswordFile} is empty. Restore it from a backup.");
        }
        if (File.Exists(Path.Combine(DataDirectory, "PG_VERSION")) && !HbaTrustsSomeone())
            throw new InvalidOperationException($"The database in {DataDirectory} requires a password, and the file that holds it, {PasswordFile}, is missing. Restore it from a backup.");
        // Hex: nothing in it needs quoting in a connection string or in ALTER ROLE.
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        WritePrivate(PasswordFile, password);
        return password;
    }

    /// <summary>A cluster made before passwords (trust on the socket): give postgres the password, then require it.</summary>
    private async Task RequirePasswordAsync(CancellationToken ct)
    {
        var trusted = new NpgsqlConnectionStringBuilder(ConnectionString("postgres")) { Password = null, Pooling = false };
        await using (var connection = new NpgsqlConnection(trusted.ConnectionString))
        {
            await connection.OpenAsync(ct);
            await using var set = new NpgsqlCommand($"set password_encryption = 'scram-sha-256'; alter role postgres password '{_password}'", connection);
            await set.ExecuteNonQueryAsync(ct);
        }
        // Rewriting in place keeps the file's owner (postgres) and mode.
        await File.WriteAllTextAsync(HbaFile, PasswordOnlyHba, ct);
        await RunAsync(Path.Combine(_bin, "pg_ctl"), ["reload", "-D", DataDirectory], _asPostgresUser, ct);
    }

    private const string PasswordOnlyHba = """
        # Written by Catalyst: the server listens on its Unix socket only, and every connection needs the password.
        # TYPE  DATABASE     USER  METHOD
        local   all          all   scram-sha-256
        local   replication  all   scram-sha-256

        """;

    private bool HbaTrustsSomeone() =>
        File.Exists(HbaFile) && File.ReadLines(HbaFile)
            .Select(line => line.Split('#', 2)[0].Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
            .Any(fields => fields.Contains("trust"));

    private static void CreatePrivateDirectory(string path)
    {
        if (OperatingSystem.IsWindows()) { System.IO.Directory.CreateDirectory(path); return; }
        System.IO.Directory.CreateDirectory(path, OwnerOnly);
        // A directory made by an older Catalyst may be looser: the socket directory was 0755.
        File.SetUnixFileMode(path, OwnerOnly);
    }

    private static void WritePrivate(string path, string text)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = OwnerReadWrite;
        using (var stream = new FileStream(path, options))
        using (var writer = new StreamWriter(stream)) writer.Write(text);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, OwnerReadWrite);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        // Also a cluster this process adopted: nothing else owns it, and left running it would outlive every Host.
        await RunAsync(Path.Combine(_bin, "pg_ctl"),
            ["stop", "-w", "-D", DataDirectory, "-m", _throwaway ? "immediate" : "fast"], _asPostgresUser, CancellationToken.None, throwOnError: false);
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
