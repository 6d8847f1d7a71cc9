using System.Diagnostics;
using Catalyst.Contracts;
using Catalyst.Operator;

namespace Catalyst.Tests.Workspaces;

public sealed class a_stopped_workspace_leaves_nothing_running : IDisposable
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public async Task stop_cancels_the_agent_and_no_process_of_the_task_survives()
    {
        // Children in the group, one that ignores SIGTERM, one in a session of its own; the agent itself ignores SIGTERM too.
        // Each writes its pid as the sandbox sees it and as the Host does (its pid namespace is its own).
        var agent = _sandbox.Agent("""
            trap '' TERM
            sleep 300 &
            echo $! >> "$HOME/pids"
            ( trap '' TERM; while :; do sleep 1; done ) &
            echo $! >> "$HOME/pids"
            setsid bash -c 'trap "" TERM; sleep 300' &
            echo $! >> "$HOME/pids"
            echo $$ >> "$HOME/pids"
            # One that drops the task's marker from its environment: only the sandbox's end can reach it.
            env -i bash -c 'trap "" TERM; sleep 300' &
            echo ready
            while :; do sleep 1; done
            """);
        var taskId = Guid.NewGuid();
        var events = new PublishedEvents();
        var runner = new LocalWorkspaceRunner(_sandbox.Spec(taskId, agent), WorkspaceSandbox.Credential(), _sandbox.Options(stopGraceSeconds: 3), events.Publish);

        var run = runner.RunAsync();
        await events.WaitForLine("ready");
        File.ReadAllLines(Path.Combine(runner.HomeDirectory, "pids")).Length.ShouldBe(4);
        var uid = runner.SandboxUid;
        if (Environment.IsPrivilegedProcess) ProcessTable.OfUser(uid.ShouldNotBeNull()).Count.ShouldBeGreaterThanOrEqualTo(5);
        ProcessTable.OfTask(taskId).ShouldNotBeEmpty();
        // The runner leads its own session and process group.
        var stat = File.ReadAllText($"/proc/{runner.ProcessId}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        (fields[2], fields[3]).ShouldBe((runner.ProcessId.ToString(), runner.ProcessId.ToString()));

        var clock = Stopwatch.StartNew();
        runner.Stop("Cancelled by ada@example.com");
        var exited = await run.WaitAsync(TimeSpan.FromSeconds(30));

        exited.End.ShouldBe(WorkspaceEnd.Cancelled);
        exited.Error.ShouldBe("Cancelled by ada@example.com");
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(3 + 5));
        ProcessTable.OfTask(taskId).ShouldBeEmpty();
        if (uid is { } user) ProcessTable.OfUser(user).ShouldBeEmpty();
        runner.ProcessId.ShouldNotBeNull();
        ProcessTable.IsAlive(runner.ProcessId.Value).ShouldBeFalse();
        Directory.Exists(runner.Directory).ShouldBeFalse();
        events.All[^1].ShouldBe(exited);
    }

    [Fact]
    public async Task a_timeout_ends_timed_out_and_keeps_the_commits_made_before()
    {
        var agent = _sandbox.Agent("""
            echo "first" > first.txt
            git add first.txt && git commit --quiet -m 'First step'
            echo "second" > second.txt
            echo working
            sleep 300
            """);
        var spec = _sandbox.Spec(Guid.NewGuid(), agent, timeoutSeconds: 3);
        var events = new PublishedEvents();
        var runner = new LocalWorkspaceRunner(spec, WorkspaceSandbox.Credential(), _sandbox.Options(stopGraceSeconds: 4), events.Publish);

        var clock = Stopwatch.StartNew();
        var exited = await runner.RunAsync().WaitAsync(TimeSpan.FromSeconds(60));

        exited.End.ShouldBe(WorkspaceEnd.TimedOut);
        exited.Error.ShouldBe("The agent did not finish within 3 seconds.");
        clock.Elapsed.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(3));
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(3 + 4));
        var result = exited.Result.ShouldNotBeNull(string.Join("\n", events.Lines.Select(l => $"{l.Stream}: {l.Text}")));
        result.Commits.Select(c => c.Message).ShouldBe(["First step", "Catalyst: uncommitted changes left by the agent"]);
        result.Pushed.ShouldBeTrue();
        _sandbox.OriginBranch(spec.WorkBranch).ShouldBe(result.Commits[^1].Sha);
        ProcessTable.OfTask(spec.TaskId).ShouldBeEmpty();
    }

    [Fact]
    public async Task a_stop_before_the_start_runs_nothing()
    {
        var events = new PublishedEvents();
        var runner = new LocalWorkspaceRunner(_sandbox.Spec(Guid.NewGuid(), _sandbox.Agent("echo never")), WorkspaceSandbox.Credential(), _sandbox.Options(), events.Publish);
        runner.Stop("Cancelled before it started");

        var exited = await runner.RunAsync();

        exited.End.ShouldBe(WorkspaceEnd.Cancelled);
        events.All.ShouldHaveSingleItem().ShouldBe(exited);
        runner.ProcessId.ShouldBeNull();
    }
}
