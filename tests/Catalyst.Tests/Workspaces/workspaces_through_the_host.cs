using Catalyst.Contracts;
using Wolverine;
using Wolverine.Tracking;

namespace Catalyst.Tests.Workspaces;

[Collection("workspaces-host")]
public sealed class workspaces_through_the_host(WorkspacesHostFixture fixture) : IDisposable
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();

    public void Dispose() => _sandbox.Dispose();

    private async Task<WorkspaceMessages> Provision(WorkspaceSpec spec, Func<IMessageBus, WorkspaceMessages, Task>? meanwhile = null)
    {
        var messages = new WorkspaceMessages(spec.TaskId);
        await fixture.Host.TrackActivity()
            .Timeout(TimeSpan.FromSeconds(60))
            .DoNotAssertOnExceptionsDetected()
            .WaitForCondition(messages)
            .ExecuteAndWaitAsync((Func<IMessageContext, Task>)(async context =>
            {
                await context.SendAsync(new ProvisionWorkspace(spec));
                if (meanwhile is not null) await meanwhile(fixture.Host.MessageBus(), messages);
            }));
        return messages;
    }

    [Fact]
    public async Task provisioning_runs_the_agent_and_publishes_its_progress_and_result()
    {
        var credential = WorkspaceSandbox.Credential();
        fixture.Credentials.Add(credential);
        var agent = _sandbox.Agent("""
            echo "key=$ANTHROPIC_API_KEY"
            echo change >> README.md
            git commit --quiet -am 'Change the README'
            """);
        var spec = _sandbox.Spec(Guid.NewGuid(), agent) with { CredentialId = credential.TaskId };

        var messages = await Provision(spec);

        var exited = messages.Exited.ShouldNotBeNull();
        exited.End.ShouldBe(WorkspaceEnd.Exited, exited.Error);
        var commit = exited.Result.ShouldNotBeNull().Commits.ShouldHaveSingleItem();
        commit.Message.ShouldBe("Change the README");
        _sandbox.OriginBranch(spec.WorkBranch).ShouldBe(commit.Sha);

        var provisioned = messages.Messages[0].ShouldBeOfType<WorkspaceProvisioned>();
        provisioned.Location.ShouldBe(Path.Combine(fixture.DataDirectory, "workspaces", spec.TaskId.ToString()));
        messages.Messages.OfType<AgentStarted>().ShouldHaveSingleItem();
        var lines = messages.Messages.OfType<AgentOutput>().SelectMany(o => o.Lines).ToArray();
        lines.ShouldContain(l => l.Stream == OutputStream.Stdout && l.Text == "key=[REDACTED]");
        lines.ShouldContain(l => l.Stream == OutputStream.System && l.Text.StartsWith("agent started"));
        Directory.Exists(provisioned.Location).ShouldBeFalse();
        (await fixture.Host.MessageBus().InvokeAsync<WorkspaceState>(new QueryWorkspace(spec.TaskId))).ShouldBe(WorkspaceState.Gone);
    }

    [Fact]
    public async Task stop_workspace_cancels_a_running_agent()
    {
        var credential = WorkspaceSandbox.Credential();
        fixture.Credentials.Add(credential);
        var spec = _sandbox.Spec(Guid.NewGuid(), _sandbox.Agent("echo ready; sleep 300")) with { CredentialId = credential.TaskId };

        var messages = await Provision(spec, async (bus, published) =>
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!published.Lines.Any(l => l.Text == "ready") && DateTime.UtcNow < deadline) await Task.Delay(20);
            (await bus.InvokeAsync<WorkspaceState>(new QueryWorkspace(spec.TaskId))).ShouldBe(WorkspaceState.Running);
            await bus.SendAsync(new StopWorkspace(spec.TaskId, "Cancelled by the user"));
        });

        var exited = messages.Exited.ShouldNotBeNull();
        exited.End.ShouldBe(WorkspaceEnd.Cancelled);
        exited.Error.ShouldBe("Cancelled by the user");
        exited.ExitCode.ShouldBe(143);
        messages.Messages.OfType<AgentStarted>().ShouldHaveSingleItem();
        exited.Result.ShouldNotBeNull().Commits.ShouldBeEmpty();
        ProcessTable.OfTask(spec.TaskId).ShouldBeEmpty();
    }

    [Fact]
    public async Task a_credential_deleted_since_the_task_was_created_fails_the_task_without_running_anything()
    {
        var spec = _sandbox.Spec(Guid.NewGuid(), _sandbox.Agent("echo never"));

        var messages = await Provision(spec);

        messages.Messages.ShouldHaveSingleItem();
        var exited = messages.Exited.ShouldNotBeNull();
        exited.End.ShouldBe(WorkspaceEnd.Failed);
        exited.Error.ShouldNotBeNull().ShouldContain("credential was deleted");
    }
}
