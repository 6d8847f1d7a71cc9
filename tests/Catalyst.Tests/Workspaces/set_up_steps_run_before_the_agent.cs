using Catalyst.Contracts;
using Catalyst.Operator;

namespace Catalyst.Tests.Workspaces;

/// <summary>A provider's set-up steps (Cline logs in with `cline auth` first) run in order, in the workspace, before the agent.</summary>
public sealed class set_up_steps_run_before_the_agent : IDisposable
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();

    public void Dispose() => _sandbox.Dispose();

    private static WorkspaceSpec WithSetup(WorkspaceSpec spec, params IReadOnlyList<string>[] steps) =>
        spec with { Provider = spec.Provider with { Launch = spec.Provider.Launch with { Setup = steps } } };

    [Fact]
    public async Task the_steps_see_the_placeholders_and_the_key_and_leave_their_files_for_the_agent()
    {
        var agent = _sandbox.Agent("""cat "$HOME/login.txt"; cat "$HOME/order.txt" """);
        var spec = WithSetup(_sandbox.Spec(Guid.NewGuid(), agent),
            ["bash", "-c", "echo \"logged in to $2 with model $1 and a key of ${#ANTHROPIC_API_KEY} characters\" > \"$HOME/login.txt\"", "login", "{model}", "{base_url}"],
            ["bash", "-c", "echo second >> \"$HOME/order.txt\""]);
        var events = new PublishedEvents();

        var exited = await new LocalWorkspaceRunner(spec, WorkspaceSandbox.Credential(), _sandbox.Options(), events.Publish).RunAsync();

        exited.End.ShouldBe(WorkspaceEnd.Exited, exited.Error);
        var stdout = events.Text(OutputStream.Stdout);
        stdout.ShouldContain($"logged in to http://127.0.0.1:8400/v1 with model credential-model and a key of {WorkspaceSandbox.Key.Length} characters");
        stdout.ShouldContain("second");
    }

    [Fact]
    public async Task a_failing_step_ends_the_task_before_the_agent_starts()
    {
        var marker = Path.Combine(_sandbox.Root, "agent-ran");
        var agent = _sandbox.Agent($"touch {marker}");
        var spec = WithSetup(_sandbox.Spec(Guid.NewGuid(), agent), ["bash", "-c", "echo 'not logged in' >&2; exit 5"]);

        var exited = await new LocalWorkspaceRunner(spec, WorkspaceSandbox.Credential(), _sandbox.Options(), new PublishedEvents().Publish).RunAsync();

        exited.End.ShouldBe(WorkspaceEnd.Failed);
        exited.Error.ShouldNotBeNull().ShouldContain("not logged in");
        exited.Error.ShouldContain("set-up step bash failed");
        File.Exists(marker).ShouldBeFalse();
    }
}
