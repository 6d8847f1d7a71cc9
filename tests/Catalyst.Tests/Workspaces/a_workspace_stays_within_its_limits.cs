using System.Diagnostics;
using Catalyst.Contracts;
using Catalyst.Operator;
using Catalyst.Operator.Sandbox;

namespace Catalyst.Tests.Workspaces;

/// <summary>The project's memory and process limits hold for everything an agent starts (root: control groups).</summary>
[Trait("Category", "Sandbox")]
public sealed class a_workspace_stays_within_its_limits : IDisposable
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public async Task going_over_the_memory_limit_ends_the_task_failed_with_out_of_memory()
    {
        if (!Environment.IsPrivilegedProcess) Assert.Skip("memory limits need control groups, which need root");
        // A 1 GiB string, every byte of it written.
        var agent = _sandbox.Agent("""
            echo "allocating"
            perl -e '$x = "a" x (1 << 30); print length($x), "\n"' 
            echo "still here"
            """);
        var spec = _sandbox.Spec(Guid.NewGuid(), agent) with { Limits = new WorkspaceResources(MemoryMiB: 256, Cpus: null, Processes: null) };
        var events = new PublishedEvents();
        var runner = new LocalWorkspaceRunner(spec, WorkspaceSandbox.Credential(), _sandbox.Options(), events.Publish);

        var exited = await runner.RunAsync().WaitAsync(TimeSpan.FromSeconds(60));

        exited.End.ShouldBe(WorkspaceEnd.Failed, string.Join("\n", events.Lines.Select(l => l.Text)));
        exited.Error.ShouldBe("Out of memory: the workspace is limited to 256 MiB.");
        events.Text(OutputStream.Stdout).ShouldContain("allocating");
    }

    [Fact]
    public async Task a_fork_bomb_is_held_at_the_process_limit_and_ends_with_the_task()
    {
        if (!Environment.IsPrivilegedProcess) Assert.Skip("the sandbox's own user (and its process limit) needs root");
        var agent = _sandbox.Agent("""
            echo "bombing"
            bomb() { bomb | bomb & }
            bomb
            sleep 300
            """);
        var spec = _sandbox.Spec(Guid.NewGuid(), agent, timeoutSeconds: 4) with { Limits = new WorkspaceResources(null, null, Processes: 40) };
        var events = new PublishedEvents();
        var runner = new LocalWorkspaceRunner(spec, WorkspaceSandbox.Credential(), _sandbox.Options(stopGraceSeconds: 2), events.Publish);

        var run = runner.RunAsync();
        await events.WaitForLine("bombing");
        var most = 0;
        var clock = Stopwatch.StartNew();
        while (!run.IsCompleted && clock.Elapsed < TimeSpan.FromSeconds(3))
        {
            most = Math.Max(most, ProcessTable.OfUser(runner.SandboxUid.ShouldNotBeNull()).Count);
            await Task.Delay(50);
        }
        var exited = await run.WaitAsync(TimeSpan.FromSeconds(60));

        exited.End.ShouldBe(WorkspaceEnd.TimedOut);
        most.ShouldBeGreaterThan(5);
        most.ShouldBeLessThanOrEqualTo(40);
        ProcessTable.OfTask(spec.TaskId).ShouldBeEmpty();
        ProcessTable.OfUser(runner.SandboxUid!.Value).ShouldBeEmpty();
    }

    [Fact]
    public void limits_read_as_people_write_them()
    {
        new ResourceLimits(2048, null, null).DescribeMemory().ShouldBe("2 GiB");
        new ResourceLimits(1536, null, null).DescribeMemory().ShouldBe("1536 MiB");
    }
}
