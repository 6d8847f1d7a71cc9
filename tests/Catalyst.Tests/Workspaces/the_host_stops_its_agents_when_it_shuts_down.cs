using System.Diagnostics;
using Catalyst.Contracts;
using Catalyst.Operator;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Wolverine.Runtime;

namespace Catalyst.Tests.Workspaces;

[Collection("workspaces-host")]
public sealed class the_host_stops_its_agents_when_it_shuts_down(WorkspacesHostFixture fixture) : IDisposable
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();

    public void Dispose() => _sandbox.Dispose();

    private LocalWorkspaces NewWorkspaces() => new(_sandbox.Options(stopGraceSeconds: 3), fixture.Credentials,
        fixture.Host.Services.GetRequiredService<IWolverineRuntime>(), NullLoggerFactory.Instance, TimeProvider.System);

    [Fact]
    public async Task stopping_all_workspaces_ends_every_agent_and_still_pushes_their_commits()
    {
        var credential = WorkspaceSandbox.Credential();
        fixture.Credentials.Add(credential);
        // The marker goes in the agent's home: the sandbox lets the agent write there and nowhere outside its workspace.
        var agent = _sandbox.Agent("""
            echo work > work.txt
            git add work.txt && git commit --quiet -m 'Work before shutdown'
            touch "$HOME/ready"
            sleep 300
            """);
        var spec = _sandbox.Spec(Guid.NewGuid(), agent) with { CredentialId = credential.TaskId };
        var ready = Path.Combine(_sandbox.WorkspacesDirectory, spec.TaskId.ToString(), "home", "ready");
        var workspaces = NewWorkspaces();

        await workspaces.ProvisionAsync(spec, CancellationToken.None);
        var clock = Stopwatch.StartNew();
        while (!File.Exists(ready) && clock.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(50);
        File.Exists(ready).ShouldBeTrue("the agent never got past its commit");
        workspaces.Query(spec.TaskId).ShouldBe(WorkspaceState.Running);

        await workspaces.StopAllAsync("The Catalyst host shut down while the agent was running.", CancellationToken.None);

        workspaces.Query(spec.TaskId).ShouldBe(WorkspaceState.Gone);
        ProcessTable.OfTask(spec.TaskId).ShouldBeEmpty();
        _sandbox.OriginBranch(spec.WorkBranch).ShouldNotBeNull();
        _sandbox.Git(_sandbox.Root, "--git-dir", _sandbox.Origin, "log", "-1", "--format=%s", spec.WorkBranch).ShouldBe("Work before shutdown");

        // No new workspace starts once the host is going down.
        var late = _sandbox.Spec(Guid.NewGuid(), agent) with { CredentialId = credential.TaskId };
        await workspaces.ProvisionAsync(late, CancellationToken.None);
        workspaces.Query(late.TaskId).ShouldBe(WorkspaceState.Gone);
    }

    [Fact]
    public void runners_orphaned_by_a_previous_host_are_killed_at_start()
    {
        var workspaces = NewWorkspaces();
        using var orphan = Sleeper(Path.Combine(_sandbox.WorkspacesDirectory, Guid.NewGuid().ToString()));
        using var stranger = Sleeper(Path.Combine(_sandbox.Root, "elsewhere", "workspaces", Guid.NewGuid().ToString()));
        try
        {
            workspaces.KillOrphans();

            orphan.WaitForExit(5000).ShouldBeTrue();
            stranger.HasExited.ShouldBeFalse();
        }
        finally
        {
            stranger.Kill();
        }
    }

    private static Process Sleeper(string workspace)
    {
        var start = new ProcessStartInfo("sleep", "300") { UseShellExecute = false };
        start.Environment["CATALYST_WORKSPACE"] = workspace;
        return Process.Start(start)!;
    }
}
