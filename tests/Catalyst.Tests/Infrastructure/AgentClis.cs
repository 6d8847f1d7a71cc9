using System.Diagnostics;
using System.Text;

namespace Catalyst.Tests.Infrastructure;

/// <summary>
/// The real agent CLIs that scripts/install-agent-clis.sh installed (cached outside the repository), and a way to run
/// one by hand in a throw-away git repository: clean environment, its own HOME, stdin from /dev/null, and, as root,
/// a network namespace with only loopback so that nothing can leave the machine.
/// </summary>
public static class AgentClis
{
    public static string CacheDirectory =>
        Environment.GetEnvironmentVariable("CATALYST_CLI_CACHE") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "catalyst", "agent-clis");

    /// <summary>Where the install script links every installed CLI.</summary>
    public static string BinDirectory => Path.Combine(CacheDirectory, "bin");

    /// <summary>The program's path, or null when it is not installed (run scripts/install-agent-clis.sh).</summary>
    public static string? Find(string program)
    {
        var path = Path.Combine(BinDirectory, program);
        return File.Exists(path) ? path : null;
    }

    public static string Require(string program) => Find(program)
        ?? throw new InvalidOperationException($"The agent CLI '{program}' is not installed in {BinDirectory}: run scripts/install-agent-clis.sh (--all for the optional ones).");

    public sealed record Run(int ExitCode, IReadOnlyList<string> Stdout, string Stderr, string Repository, string Home)
    {
        public string Log(string path) => Git(Repository, "log", "--format=%s", "--", path).Trim();
    }

    /// <summary>A git repository with one commit on main, under a fresh temporary directory.</summary>
    public static string NewRepository()
    {
        var root = Path.Combine(Path.GetTempPath(), $"catalyst-cli-{Guid.NewGuid():N}");
        var repo = Path.Combine(root, "repo");
        Directory.CreateDirectory(repo);
        Git(repo, "init", "-q", "-b", "main");
        Git(repo, "config", "user.name", "Catalyst Test");
        Git(repo, "config", "user.email", "test@catalyst.local");
        File.WriteAllText(Path.Combine(repo, "README.md"), "# Sample\n");
        Git(repo, "add", "README.md");
        Git(repo, "commit", "-q", "-m", "Initial commit");
        return repo;
    }

    public static string Git(string repo, params string[] args)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = repo, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var output = p.StandardOutput.ReadToEnd();
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"git {string.Join(' ', args)} failed: {error}");
        return output;
    }

    /// <summary>
    /// Runs <paramref name="argv"/> in <paramref name="repo"/> with only <paramref name="environment"/> (plus PATH, HOME, LANG),
    /// inside <paramref name="network"/> when given.
    /// </summary>
    public static async Task<Run> RunAsync(string repo, IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> environment,
        TimeSpan timeout, NetworkNamespace? network = null, string? home = null)
    {
        home ??= Path.Combine(Path.GetDirectoryName(repo)!, "home");
        Directory.CreateDirectory(home);
        if (network is not null) argv = network.Wrap(argv);
        var start = new ProcessStartInfo(argv[0])
        {
            WorkingDirectory = repo,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = new UTF8Encoding(false),
        };
        foreach (var a in argv.Skip(1)) start.ArgumentList.Add(a);
        start.Environment.Clear();
        start.Environment["PATH"] = $"{BinDirectory}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
        start.Environment["HOME"] = home;
        start.Environment["LANG"] = "C.UTF-8";
        foreach (var (k, v) in environment) start.Environment[k] = v;

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = new List<string>();
        var reading = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line) lock (stdout) stdout.Add(line);
        });
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        await Task.WhenAny(Task.WhenAll(reading, stderr), Task.Delay(TimeSpan.FromSeconds(5)));
        lock (stdout) return new Run(process.HasExited ? process.ExitCode : -1, stdout.ToArray(), stderr.IsCompleted ? stderr.Result : "", repo, home);
    }
}
