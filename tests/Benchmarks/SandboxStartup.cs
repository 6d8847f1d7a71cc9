using System.Diagnostics;
using Catalyst.Contracts;
using Catalyst.Operator;

/// <summary>
/// What the sandbox costs a task: the same workspace (clone, branch, an agent that runs <c>true</c>, push) run by the
/// local backend's runner with the sandbox on and off, alternately, 20 times each; the difference of the medians.
/// </summary>
static class SandboxStartup
{
    public static async Task<(double On, double Off)> MeasureAsync(string root, string origin, string runnerDirectory, int runs = 20)
    {
        var on = new List<double>();
        var off = new List<double>();
        var options = new LocalWorkspaceOptions
        {
            WorkspacesDirectory = Path.Combine(root, "sandbox-bench"),
            RunnerDirectory = runnerDirectory,
        };
        var provider = new AgentProviderInfo("bench-agent", "Bench agent", "", true, [], ["BENCH_KEY"], null, null, null,
            new AgentLaunch(["true"], new Dictionary<string, string>(), new Dictionary<string, string>(), "text"));
        async Task<double> Once(bool sandbox)
        {
            var id = Guid.NewGuid();
            var spec = new WorkspaceSpec(id, origin, "main", $"catalyst/{id.ToString("N")[^8..]}", "nothing", null, provider, Guid.NewGuid(), 0,
                new Dictionary<string, string>());
            var access = new TaskAccess(id, "cat_task_bench0123456789", null, "http://127.0.0.1:9") { BrokerUrl = "http://127.0.0.1:9" };
            var sw = Stopwatch.StartNew();
            var exited = await new LocalWorkspaceRunner(spec, access, options with { Sandbox = sandbox }, _ => ValueTask.CompletedTask).RunAsync();
            var elapsed = sw.Elapsed.TotalMilliseconds;
            if (exited.End != WorkspaceEnd.Exited) throw new InvalidOperationException($"sandbox={sandbox}: {exited.Error}");
            return elapsed;
        }
        await Once(true);
        await Once(false);
        for (var i = 0; i < runs; i++)
        {
            on.Add(await Once(true));
            off.Add(await Once(false));
        }
        return (Stats.Median(on), Stats.Median(off));
    }
}
