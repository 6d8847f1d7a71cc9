using System.Globalization;
using System.Diagnostics;
using System.Text;
using Catalyst.Contracts;
using Catalyst.Operator;

/// <summary>
/// How fast an agent starts on a large repository: a generated one (≥ 300 MB of history, ≥ 20,000 files) run through the
/// local backend's runner, sandbox on, with the repository cache and with a full clone, in one run; where each
/// millisecond goes (provision, runner start, fetch, clone, branch, sandbox, CLI start), read from the runner's own
/// progress lines; and 5 tasks started at once on the cache.
/// </summary>
static class RepositoryStart
{
    public sealed record Breakdown(double Total, double Provision, double RunnerStart, double Fetch, double Cloning, double Branch, double Sandbox, double CliStart);

    /// <param name="report">Gets each result line as soon as it is known (a run on a busy disk takes minutes).</param>
    public static async Task MeasureAsync(string root, string runnerDirectory, Action<string> report, int runs = 3)
    {
        var origin = await GenerateAsync(root);
        report($"start: generated repository {DirectorySize(origin) / 1024 / 1024:N0} MB of history (packed), {FileCount:N0} files at main");
        var provider = new AgentProviderInfo("bench-agent", "Bench agent", "", true, [], ["BENCH_KEY"], null, null, null,
            new AgentLaunch(["bash", "-c", "echo first-line"], new Dictionary<string, string>(), new Dictionary<string, string>(), "text"));
        var cached = new LocalWorkspaceOptions
        {
            WorkspacesDirectory = Path.Combine(root, "start-bench"),
            RunnerDirectory = runnerDirectory,
            RepositoryCacheDirectory = Path.Combine(root, "start-bench-repositories"),
            // Removing 20,000 files after each run is not what is measured: the directories go with the benchmark's root.
            KeepWorkspaces = true,
        };
        var full = cached with { RepositoryCacheDirectory = null };

        async Task<Breakdown> Once(LocalWorkspaceOptions options)
        {
            var (events, t0) = await RunAsync(origin, provider, options);
            var output = events.OfType<AgentOutput>().SelectMany(o => o.Lines).ToArray();
            double At(Func<OutputLine, bool> match) => output.FirstOrDefault(match) is { } l ? (l.At - t0).TotalMilliseconds : double.NaN;
            double System(string prefix) => At(l => l.Stream == OutputStream.System && l.Text.StartsWith(prefix, StringComparison.Ordinal));
            var provisioned = events.OfType<WorkspaceProvisioned>().Single().At;
            var provision = (provisioned - t0).TotalMilliseconds;
            var first = output.First(l => l.Stream == OutputStream.System);
            var runnerStart = (first.At - t0).TotalMilliseconds;
            // The runner says how long its fetch took: "repository cache fetched in N ms".
            var fetchLine = output.FirstOrDefault(l => l.Stream == OutputStream.System && l.Text.StartsWith("repository cache fetched in ", StringComparison.Ordinal));
            var fetchMs = fetchLine is null ? 0 : double.Parse(fetchLine.Text.Split(' ')[4], CultureInfo.InvariantCulture);
            var fetched = System("repository cache fetched");
            var cloned = options.RepositoryCacheDirectory is null ? double.NaN : System("cloned ");
            var branched = System("branch ");
            var agent = System("agent started");
            var firstLine = At(l => l.Stream == OutputStream.Stdout && l.Text == "first-line");
            return new Breakdown(firstLine, provision, runnerStart - provision - fetchMs,
                fetchMs,
                double.IsNaN(cloned) ? branched - runnerStart : cloned - (double.IsNaN(fetched) ? runnerStart : fetched),
                double.IsNaN(cloned) ? 0 : branched - cloned,
                agent - branched, firstLine - agent);
        }

        await Once(cached); // makes the cache: the first task of a project pays the mirror once
        var withCache = new List<Breakdown>();
        var withFull = new List<Breakdown>();
        for (var i = 0; i < runs; i++)
        {
            withCache.Add(await Once(cached));
            withFull.Add(await Once(full));
        }
        string Describe(string name, List<Breakdown> xs)
        {
            double M(Func<Breakdown, double> f) => Stats.Median(xs.Select(f).ToList());
            return $"{name}: to the agent's first line median {M(b => b.Total):F0} ms = provision {M(b => b.Provision):F0} + runner start {M(b => b.RunnerStart):F0} + fetch {M(b => b.Fetch):F0} + clone {M(b => b.Cloning):F0} + branch {M(b => b.Branch):F0} + sandbox {M(b => b.Sandbox):F0} + CLI start {M(b => b.CliStart):F0} ms (medians of {xs.Count})";
        }
        report(Describe("start, large repository, from the cache", withCache));
        report(Describe("start, large repository, full clone", withFull));
        var cacheMedian = Stats.Median(withCache.Select(b => b.Total).ToList());
        var fullMedian = Stats.Median(withFull.Select(b => b.Total).ToList());
        report($"start, large repository: the cache starts the agent {fullMedian / cacheMedian:F1}× sooner than a full clone ({cacheMedian:F0} ms against {fullMedian:F0} ms; target ≤ 1 s)");

        var parallel = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => Task.Run(() => Once(cached))));
        var totals = parallel.Select(b => b.Total).Order().ToArray();
        report($"start, large repository, 5 tasks at once from the cache: first lines at {string.Join(", ", totals.Select(t => $"{t:F0}"))} ms; spread {totals[^1] - totals[0]:F0} ms (target ≤ 2 s)");
    }

    /// <summary>One task of the bench agent on <paramref name="origin"/> through the local runner: what it published, and when it was asked for.</summary>
    public static async Task<(List<object> Events, DateTimeOffset Start)> RunAsync(string origin, AgentProviderInfo provider, LocalWorkspaceOptions options)
    {
        var id = Guid.NewGuid();
        var spec = new WorkspaceSpec(id, origin, "main", $"catalyst/{id.ToString("N")[^8..]}", "nothing", null, provider, Guid.NewGuid(), 0,
            new Dictionary<string, string>());
        var access = new TaskAccess(id, "cat_task_bench0123456789", null, "http://127.0.0.1:9") { BrokerUrl = "http://127.0.0.1:9" };
        var events = new List<object>();
        var t0 = DateTimeOffset.UtcNow;
        var exited = await new LocalWorkspaceRunner(spec, access, options, m => { lock (events) events.Add(m); return ValueTask.CompletedTask; }).RunAsync();
        if (exited.End != WorkspaceEnd.Exited) throw new InvalidOperationException($"start bench: {exited.Error}");
        return (events, t0);
    }

    private const int FileCount = 20_000;

    /// <summary>
    /// A bare origin with ≥ 20,000 small files at main and ≥ 300 MB of incompressible history behind it (blobs that were
    /// replaced commit after commit), written with git fast-import so it takes seconds, not minutes.
    /// </summary>
    private static async Task<string> GenerateAsync(string root)
    {
        var origin = Path.Combine(root, "large.git");
        Run(root, "git", "init", "--quiet", "--bare", "--initial-branch=main", origin);
        var start = new ProcessStartInfo("git", ["--git-dir", origin, "fast-import", "--quiet"]) { RedirectStandardInput = true, RedirectStandardError = true };
        using var import = Process.Start(start)!;
        var input = import.StandardInput.BaseStream;
        var random = new Random(42);
        var mark = 0;
        async Task Write(string text) => await input.WriteAsync(Encoding.UTF8.GetBytes(text));
        async Task Blob(byte[] data)
        {
            await Write($"blob\nmark :{++mark}\ndata {data.Length}\n");
            await input.WriteAsync(data);
            await Write("\n");
        }
        var when = 1_700_000_000;
        async Task Commit(string message, IEnumerable<(string Path, int Mark)> files, bool first)
        {
            await Write($"commit refs/heads/main\ncommitter Bench <b@b> {when++} +0000\ndata {Encoding.UTF8.GetByteCount(message)}\n{message}\n");
            if (first) await Write("deleteall\n");
            foreach (var (path, blob) in files) await Write($"M 100644 :{blob} {path}\n");
            await Write("\n");
        }
        // The tree: 20,000 small source-like files in 200 directories.
        var tree = new List<(string, int)>();
        for (var i = 0; i < FileCount; i++)
        {
            await Blob(Encoding.UTF8.GetBytes($"// file {i}\n{new string('x', 200 + i % 300)}\n"));
            tree.Add(($"src/d{i % 200:D3}/f{i:D5}.txt", mark));
        }
        await Commit("The tree", tree, first: true);
        // The history: 75 commits each replacing a 4 MB binary asset with random bytes (300 MB that no compression shrinks).
        for (var c = 0; c < 75; c++)
        {
            var data = new byte[4 * 1024 * 1024];
            random.NextBytes(data);
            await Blob(data);
            await Commit($"Asset {c}", [($"assets/blob-{c % 3}.bin", mark)], first: false);
        }
        input.Close();
        await import.WaitForExitAsync();
        if (import.ExitCode != 0) throw new InvalidOperationException($"fast-import: {await import.StandardError.ReadToEndAsync()}");
        return origin;
    }

    private static long DirectorySize(string path) => new DirectoryInfo(path).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);

    private static void Run(string dir, string program, params string[] args)
    {
        var start = new ProcessStartInfo(program, args) { WorkingDirectory = dir, RedirectStandardError = true, RedirectStandardOutput = true };
        using var p = Process.Start(start)!;
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', args)}: {p.StandardError.ReadToEnd()}");
    }
}
