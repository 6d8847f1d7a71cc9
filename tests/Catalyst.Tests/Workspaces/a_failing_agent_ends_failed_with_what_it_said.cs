using Catalyst.Contracts;
using Catalyst.Operator;

namespace Catalyst.Tests.Workspaces;

public sealed class a_failing_agent_ends_failed_with_what_it_said : IDisposable
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public async Task a_non_zero_exit_is_failed_with_the_last_stderr_lines_and_its_commits_still_pushed()
    {
        var agent = _sandbox.Agent("""
            echo "partial" > partial.txt
            git add partial.txt && git commit --quiet -m 'Partial work'
            for i in $(seq 1 30); do echo "error line $i" >&2; done
            echo "still on stdout"
            exit 3
            """);
        var spec = _sandbox.Spec(Guid.NewGuid(), agent);
        var events = new PublishedEvents();

        var exited = await new LocalWorkspaceRunner(spec, WorkspaceSandbox.Credential(), _sandbox.Options(), events.Publish).RunAsync();

        exited.End.ShouldBe(WorkspaceEnd.Failed);
        exited.ExitCode.ShouldBe(3);
        var error = exited.Error.ShouldNotBeNull().Split('\n');
        error.Length.ShouldBe(20);
        error[0].ShouldBe("error line 11");
        error[^1].ShouldBe("error line 30");
        var result = exited.Result.ShouldNotBeNull();
        result.Commits.ShouldHaveSingleItem().Message.ShouldBe("Partial work");
        result.Pushed.ShouldBeTrue();
        _sandbox.OriginBranch(spec.WorkBranch).ShouldBe(result.Commits[0].Sha);
    }

    [Fact]
    public async Task a_repository_that_cannot_be_cloned_fails_before_the_agent_starts()
    {
        var spec = _sandbox.Spec(Guid.NewGuid(), _sandbox.Agent("echo never")) with { RepositoryUrl = Path.Combine(_sandbox.Root, "missing.git") };
        var events = new PublishedEvents();

        var exited = await new LocalWorkspaceRunner(spec, WorkspaceSandbox.Credential(), _sandbox.Options(), events.Publish).RunAsync();

        exited.End.ShouldBe(WorkspaceEnd.Failed);
        exited.Error.ShouldNotBeNull().ShouldStartWith("The runner failed before the agent started");
        exited.Error.ShouldContain("could not clone");
        exited.Result.ShouldBeNull();
        events.All.OfType<AgentStarted>().ShouldBeEmpty();
        events.Text(OutputStream.Stdout).ShouldNotContain("never");
    }

    [Fact]
    public async Task a_missing_runner_script_is_a_clear_failure()
    {
        var spec = _sandbox.Spec(Guid.NewGuid(), _sandbox.Agent("echo never"));
        var options = _sandbox.Options() with { RunnerDirectory = Path.Combine(_sandbox.Root, "nowhere") };

        var exited = await new LocalWorkspaceRunner(spec, WorkspaceSandbox.Credential(), options, new PublishedEvents().Publish).RunAsync();

        exited.End.ShouldBe(WorkspaceEnd.Failed);
        exited.Error.ShouldNotBeNull().ShouldContain("runner script was not found");
    }
}
