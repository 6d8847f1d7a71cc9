using System.Diagnostics;
using System.Text;
using Catalyst.Contracts;
using Catalyst.Operator;
using Catalyst.Operator.Local;
using Microsoft.Extensions.Logging.Abstractions;

/// <summary>
/// A task that waited for a slot while its origin moved on: how soon its agent starts once it has the slot, when its
/// repository cache was fetched while it waited (what the scheduler asks the local backend for) and when it was not, in
/// one run, alternating. The origin moves by <c>movedMiB</c> of new history before each task, as a busy repository does
/// while a queue drains.
/// </summary>
static class QueuedStart
{
    public static async Task MeasureAsync(string root, string runnerDirectory, Action<string> report, int runs = 5, int movedMiB = 40)
    {
        var origin = Path.Combine(root, "queued.git");
        Run(root, "git", "init", "--quiet", "--bare", "--initial-branch=main", origin);
        var random = new Random(7);
        await MoveAsync(origin, random, 1, first: true);
        var options = new LocalWorkspaceOptions
        {
            WorkspacesDirectory = Path.Combine(root, "queued-bench"),
            RunnerDirectory = runnerDirectory,
            RepositoryCacheDirectory = Path.Combine(root, "queued-bench-repositories"),
            KeepWorkspaces = true,
        };
        var provider = new AgentProviderInfo("bench-agent", "Bench agent", "", true, [], ["BENCH_KEY"], null, null, null,
            new AgentLaunch(["bash", "-c", "echo first-line"], new Dictionary<string, string>(), new Dictionary<string, string>(), "text"));

        async Task<double> FirstLineAsync()
        {
            var (events, t0) = await RepositoryStart.RunAsync(origin, provider, options);
            return (events.OfType<AgentOutput>().SelectMany(o => o.Lines).First(l => l.Stream == OutputStream.Stdout && l.Text == "first-line").At - t0).TotalMilliseconds;
        }

        await FirstLineAsync(); // the project's first task makes its cache
        var cold = new List<double>();
        var warm = new List<double>();
        var ahead = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            await MoveAsync(origin, random, movedMiB);
            cold.Add(await FirstLineAsync());

            await MoveAsync(origin, random, movedMiB);
            using var warmer = new RepositoryCacheWarmer(options, NullLogger<RepositoryCacheWarmer>.Instance, TimeProvider.System);
            var watch = Stopwatch.StartNew();
            if (!warmer.Prepare(new PrepareWorkspace(Guid.NewGuid(), origin), _ => Task.CompletedTask)) throw new InvalidOperationException("nothing fetched ahead");
            await warmer.IdleAsync();
            ahead.Add(watch.Elapsed.TotalMilliseconds);
            warm.Add(await FirstLineAsync());
        }
        var (c, w) = (Stats.Median(cold), Stats.Median(warm));
        report($"queued start, origin moved by {movedMiB} MiB while the task waited: to the agent's first line once it has its slot median {w:F0} ms " +
               $"with the cache fetched while it waited (that fetch {Stats.Median(ahead):F0} ms, off the task's clock), {c:F0} ms without: {c / w:F1}× sooner ({runs} runs each, alternating)");
    }

    /// <summary>Appends a commit of <paramref name="mebibytes"/> of incompressible bytes (and a changed source file) to the origin's main.</summary>
    private static async Task MoveAsync(string origin, Random random, int mebibytes, bool first = false)
    {
        var start = new ProcessStartInfo("git", ["--git-dir", origin, "fast-import", "--quiet"]) { RedirectStandardInput = true, RedirectStandardError = true };
        using var import = Process.Start(start)!;
        var input = import.StandardInput.BaseStream;
        async Task Write(string text) => await input.WriteAsync(Encoding.UTF8.GetBytes(text));
        var data = new byte[mebibytes * 1024 * 1024];
        random.NextBytes(data);
        await Write($"blob\nmark :1\ndata {data.Length}\n");
        await input.WriteAsync(data);
        var source = Encoding.UTF8.GetBytes($"// moved at {DateTime.UtcNow:O}\n");
        await Write($"\nblob\nmark :2\ndata {source.Length}\n");
        await input.WriteAsync(source);
        const string message = "Move the origin";
        await Write($"\ncommit refs/heads/main\ncommitter Bench <b@b> {DateTimeOffset.UtcNow.ToUnixTimeSeconds()} +0000\ndata {message.Length}\n{message}\n");
        if (!first) await Write("from refs/heads/main^0\n");
        await Write($"M 100644 :1 assets/moving.bin\nM 100644 :2 src/moved.txt\n\n");
        input.Close();
        await import.WaitForExitAsync();
        if (import.ExitCode != 0) throw new InvalidOperationException($"fast-import: {await import.StandardError.ReadToEndAsync()}");
    }

    private static void Run(string dir, string program, params string[] args)
    {
        var start = new ProcessStartInfo(program, args) { WorkingDirectory = dir, RedirectStandardError = true, RedirectStandardOutput = true };
        using var p = Process.Start(start)!;
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', args)}: {p.StandardError.ReadToEnd()}");
    }
}
