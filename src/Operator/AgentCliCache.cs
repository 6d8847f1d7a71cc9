using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using Catalyst.Contracts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Catalyst.Operator;

/// <summary>What a workspace gets from the CLI cache: the directory to put first on the agent's PATH (null: the CLI is already on it), or why it could not be installed.</summary>
public sealed record AgentCliInstall(string? BinDirectory, string? Error)
{
    public static readonly AgentCliInstall OnPath = new(null, null);
}

/// <summary>
/// The agent CLIs installed on first use, one directory per package and version under
/// <see cref="LocalWorkspaceOptions.CliCacheDirectory"/>, laid out as scripts/install-agent-clis.sh lays them out:
/// npm: <c>&lt;package&gt;@&lt;version&gt;/node_modules/.bin/&lt;binary&gt;</c>; pip: a venv in
/// <c>&lt;package&gt;@&lt;version&gt;/venv</c> and its program linked as <c>&lt;package&gt;@&lt;version&gt;/bin/&lt;binary&gt;</c>;
/// both with a <c>.catalyst-installed</c> stamp written last. One install per package and version at a time in this process.
/// </summary>
public sealed partial class AgentCliCache(LocalWorkspaceOptions options, ILogger<AgentCliCache>? logger = null)
{
    public const string StampFile = ".catalyst-installed";
    private const int ErrorTailLines = 20;

    // Keyed by the install directory, so that every cache object of this process pointing there shares the lock.
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Installing = new(StringComparer.Ordinal);

    private readonly ILogger _logger = logger ?? NullLogger<AgentCliCache>.Instance;

    public string Directory => options.CliCacheDirectory;

    /// <summary>Where <paramref name="spec"/> is (or would be) installed.</summary>
    public string InstallDirectory(InstallSpec spec) => Path.Combine(Directory, $"{spec.Package}@{spec.Version}");

    /// <summary>The directory holding the installed program: what goes first on the agent's PATH.</summary>
    public string BinDirectory(InstallSpec spec) => IsPip(spec)
        ? Path.Combine(InstallDirectory(spec), "bin")
        : Path.Combine(InstallDirectory(spec), "node_modules", ".bin");

    public bool IsInstalled(InstallSpec spec) =>
        File.Exists(Path.Combine(InstallDirectory(spec), StampFile)) && IsExecutable(Path.Combine(BinDirectory(spec), spec.Binary));

    /// <summary>
    /// The CLI of <paramref name="spec"/>: from the cache when installed there, else from the configured tool directories
    /// when one holds its program, else installed now. Progress and the installer's output go to <paramref name="log"/>.
    /// Cancelling stops the installer and removes what it left.
    /// </summary>
    public async Task<AgentCliInstall> EnsureAsync(InstallSpec spec, Func<string, ValueTask> log, CancellationToken cancellationToken)
    {
        if (Invalid(spec) is { } invalid) return new AgentCliInstall(null, invalid);
        if (IsInstalled(spec)) return new AgentCliInstall(BinDirectory(spec), null);
        if (options.ToolDirectories.Any(dir => IsExecutable(Path.Combine(dir, spec.Binary)))) return AgentCliInstall.OnPath;

        var gate = Installing.GetOrAdd(Path.GetFullPath(InstallDirectory(spec)), _ => new SemaphoreSlim(1, 1));
        if (!await gate.WaitAsync(0, CancellationToken.None))
        {
            await log($"Waiting for another task's install of {spec.Package} {spec.Version} …");
            await gate.WaitAsync(cancellationToken);
        }
        try
        {
            if (IsInstalled(spec))
            {
                await log($"Using {spec.Package} {spec.Version}, installed by another task.");
                return new AgentCliInstall(BinDirectory(spec), null);
            }
            return await InstallAsync(spec, log, cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<AgentCliInstall> InstallAsync(InstallSpec spec, Func<string, ValueTask> log, CancellationToken cancellationToken)
    {
        var name = $"{spec.Package}@{spec.Version}";
        var target = InstallDirectory(spec);
        // npm installs beside the target and is moved into place (its .bin links are relative); a venv cannot be moved, so pip installs in place.
        var work = IsPip(spec) ? target : target + ".partial";
        var program = IsPip(spec) ? "python3" : "npm";
        if (FindProgram(program) is not { } programPath)
            return new AgentCliInstall(null,
                $"Installing {name} failed: {program} was not found on the agents' PATH ({string.Join(':', SearchPath)}). " +
                $"Install {(IsPip(spec) ? "Python 3 with its venv module" : "Node.js and npm")}, or add their directory to Catalyst:Workspaces:ToolDirectories.");

        await log($"Installing {spec.Package} {spec.Version} (first use) …");
        _logger.LogInformation("Installing agent CLI {Package} into {Directory}", name, target);
        var started = Stopwatch.GetTimestamp();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.CliInstallTimeout);
        try
        {
            DeleteIfPresent(work);
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            var steps = InstallCommands(spec, work, options);
            steps[0][0] = programPath;
            if (!IsPip(spec))
            {
                System.IO.Directory.CreateDirectory(work);
                await File.WriteAllTextAsync(Path.Combine(work, "package.json"), "{\"name\":\"catalyst-agent-cli\",\"private\":true}\n", CancellationToken.None);
            }
            foreach (var step in steps)
            {
                var (exitCode, tail) = await RunAsync(step, log, timeout.Token);
                if (exitCode != 0)
                {
                    Discard(work);
                    var said = string.Join('\n', WithoutWarnings(tail)).Trim();
                    return new AgentCliInstall(null, said.Length > 0
                        ? $"Installing {name} failed: {said}"
                        : $"Installing {name} failed: {Path.GetFileName(step[0])} exited with code {exitCode} and printed nothing on stderr.");
                }
            }

            if (IsPip(spec))
            {
                var bin = Path.Combine(work, "bin");
                System.IO.Directory.CreateDirectory(bin);
                File.CreateSymbolicLink(Path.Combine(bin, spec.Binary), Path.Combine("..", "venv", "bin", spec.Binary));
            }
            else
            {
                DeleteIfPresent(target);
                System.IO.Directory.Move(work, target);
            }
            if (!IsExecutable(Path.Combine(BinDirectory(spec), spec.Binary)))
            {
                Discard(target);
                return new AgentCliInstall(null, $"Installing {name} failed: the package installed but has no program '{spec.Binary}'.");
            }
            await File.WriteAllTextAsync(Path.Combine(target, StampFile),
                DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) + "\n", CancellationToken.None);
        }
        catch (OperationCanceledException)
        {
            Discard(work);
            Discard(target + ".partial");
            if (cancellationToken.IsCancellationRequested) throw;
            return new AgentCliInstall(null,
                $"Installing {name} failed: it did not finish within {options.CliInstallTimeout.TotalSeconds:0} s (Catalyst:Workspaces:CliInstallTimeoutSeconds).");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            _logger.LogError(e, "Installing agent CLI {Package} failed", name);
            Discard(work);
            if (!IsPip(spec) && !File.Exists(Path.Combine(target, StampFile))) Discard(target);
            return new AgentCliInstall(null, $"Installing {name} failed: {e.Message}");
        }

        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        _logger.LogInformation("Installed agent CLI {Package} in {Seconds:0.0} s", name, seconds);
        await log($"Installed {spec.Package} {spec.Version} in {seconds.ToString("0.0", CultureInfo.InvariantCulture)} s.");
        return new AgentCliInstall(BinDirectory(spec), null);
    }

    /// <summary>The installer's command lines for <paramref name="spec"/>, installing into <paramref name="work"/> (the program is looked up by name).</summary>
    public static List<List<string>> InstallCommands(InstallSpec spec, string work, LocalWorkspaceOptions options)
    {
        if (IsPip(spec))
        {
            var venv = Path.Combine(work, "venv");
            List<string> pip = [Path.Combine(venv, "bin", "python"), "-m", "pip", "install", "--disable-pip-version-check", "--no-input"];
            if (options.PipIndexUrl is { Length: > 0 } index) pip.AddRange(["--index-url", index]);
            pip.Add($"{spec.Package}=={spec.Version}");
            return [["python3", "-m", "venv", venv], pip];
        }
        List<string> npm = ["npm", "install", "--prefix", work, "--no-audit", "--no-fund", "--no-update-notifier", "--include=optional", "--save-exact"];
        if (options.NpmRegistry is { Length: > 0 } registry) npm.AddRange(["--registry", registry]);
        npm.Add($"{spec.Package}@{spec.Version}");
        return [npm];
    }

    /// <summary>Runs one installer step with a clean environment; every line goes to <paramref name="log"/>, stderr's last lines are answered.</summary>
    private async Task<(int ExitCode, string[] StderrTail)> RunAsync(List<string> argv, Func<string, ValueTask> log, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(argv[0])
        {
            WorkingDirectory = Directory,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = new UTF8Encoding(false),
            StandardErrorEncoding = new UTF8Encoding(false),
        };
        foreach (var arg in argv.Skip(1)) start.ArgumentList.Add(arg);
        // The Host's connection strings and keys stay out of the installer (and the packages' install scripts).
        var inherited = Environment.GetEnvironmentVariables();
        start.Environment.Clear();
        foreach (System.Collections.DictionaryEntry variable in inherited)
            if (variable.Key is string key && variable.Value is string value && PassedToInstaller(key)) start.Environment[key] = value;
        start.Environment["PATH"] = string.Join(':', SearchPath);
        start.Environment["HOME"] = Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } home ? home : Directory;
        start.Environment["LANG"] = "C.UTF-8";

        using var process = new Process { StartInfo = start };
        process.Start();
        process.StandardInput.Close();
        var tail = new Queue<string>();
        var lines = System.Threading.Channels.Channel.CreateUnbounded<string>(new() { SingleReader = true });
        async Task Read(StreamReader reader, bool stderr)
        {
            while (await reader.ReadLineAsync(CancellationToken.None) is { } line)
            {
                if (stderr)
                    lock (tail)
                    {
                        tail.Enqueue(line);
                        if (tail.Count > ErrorTailLines) tail.Dequeue();
                    }
                if (line.Length > 0) lines.Writer.TryWrite(line);
            }
        }
        var readers = Task.WhenAll(Read(process.StandardOutput, false), Read(process.StandardError, true))
            .ContinueWith(_ => lines.Writer.TryComplete(), TaskScheduler.Default);
        var forward = Task.Run(async () =>
        {
            await foreach (var line in lines.Reader.ReadAllAsync(CancellationToken.None)) await log(line);
        }, CancellationToken.None);

        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); }
            catch (InvalidOperationException) { /* already gone */ }
            await process.WaitForExitAsync(CancellationToken.None);
            await Task.WhenAny(readers, Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None));
            lines.Writer.TryComplete();
            await forward;
            throw;
        }
        // A background child of the installer may hold the pipes open: do not wait on it forever.
        await Task.WhenAny(readers, Task.Delay(TimeSpan.FromSeconds(5), CancellationToken.None));
        lines.Writer.TryComplete();
        await forward;
        lock (tail) return (process.ExitCode, tail.ToArray());
    }

    /// <summary>The installer's last stderr lines without its warnings (npm's about the user's own config, say), unless warnings are all it said.</summary>
    private static string[] WithoutWarnings(string[] tail)
    {
        var errors = tail.Where(line => !line.StartsWith("npm warn", StringComparison.OrdinalIgnoreCase) && !line.StartsWith("WARNING:", StringComparison.Ordinal)).ToArray();
        return errors.Any(line => line.Trim().Length > 0) ? errors : tail;
    }

    private static bool PassedToInstaller(string name) =>
        name is "TMPDIR" or "SSL_CERT_FILE" or "SSL_CERT_DIR" or "NODE_EXTRA_CA_CERTS" or "REQUESTS_CA_BUNDLE"
        || name.Equals("HTTP_PROXY", StringComparison.OrdinalIgnoreCase)
        || name.Equals("HTTPS_PROXY", StringComparison.OrdinalIgnoreCase)
        || name.Equals("NO_PROXY", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("NPM_CONFIG_", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("PIP_", StringComparison.Ordinal);

    /// <summary>Where the installers are looked for, and their PATH: the agents' own (tool directories, then the safe default).</summary>
    private IEnumerable<string> SearchPath => options.ToolDirectories.Concat(LocalWorkspaceOptions.SafePath.Split(':'));

    private string? FindProgram(string name) => SearchPath.Select(dir => Path.Combine(dir, name)).FirstOrDefault(IsExecutable);

    private static bool IsPip(InstallSpec spec) => spec.Manager.Equals("pip", StringComparison.OrdinalIgnoreCase);

    /// <summary>Why <paramref name="spec"/> cannot be installed (it also names a directory: nothing may climb out of the cache), or null.</summary>
    public static string? Invalid(InstallSpec spec)
    {
        var name = $"{spec.Package}@{spec.Version}";
        if (!spec.Manager.Equals("npm", StringComparison.OrdinalIgnoreCase) && !IsPip(spec))
            return $"Installing {name} failed: the install manager '{spec.Manager}' is not supported (npm or pip).";
        var package = IsPip(spec) ? PipPackage().IsMatch(spec.Package) : NpmPackage().IsMatch(spec.Package);
        if (!package || !Version().IsMatch(spec.Version) || !Binary().IsMatch(spec.Binary) || spec.Binary is "." or "..")
            return $"Installing {name} failed: the provider's install spec is not valid (package '{spec.Package}', version '{spec.Version}', program '{spec.Binary}').";
        return null;
    }

    [GeneratedRegex(@"^(@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*$")]
    private static partial Regex NpmPackage();

    [GeneratedRegex(@"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?(\[[A-Za-z0-9._,-]+\])?$")]
    private static partial Regex PipPackage();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9.+_-]*$")]
    private static partial Regex Version();

    [GeneratedRegex(@"^[A-Za-z0-9._-]+$")]
    private static partial Regex Binary();

    [LibraryImport("libc", EntryPoint = "access", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Access(string path, int mode);

    /// <summary>A file (through any links) that may be executed.</summary>
    private static bool IsExecutable(string path) => File.Exists(path) && Access(path, 1) == 0;

    private static void DeleteIfPresent(string path)
    {
        if (System.IO.Directory.Exists(path)) LocalWorkspaceRunner.DeleteTree(path);
    }

    private void Discard(string path)
    {
        try
        {
            DeleteIfPresent(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning(e, "Could not remove the unfinished install at {Directory}", path);
        }
    }
}
