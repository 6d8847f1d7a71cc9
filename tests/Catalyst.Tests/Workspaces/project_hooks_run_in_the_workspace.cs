using Catalyst.Contracts;
using Catalyst.Operator;

namespace Catalyst.Tests.Workspaces;

/// <summary>The runner runs a project's hooks in the clone around the agent, and reports how they ended.</summary>
public sealed class project_hooks_run_in_the_workspace : IDisposable
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();

    public void Dispose() => _sandbox.Dispose();

    private async Task<(WorkspaceExited Exited, PublishedEvents Events, LocalWorkspaceRunner Runner)> Run(
        string agentScript, string[] pre, string[] post, int timeoutSeconds = 0)
    {
        var spec = _sandbox.Spec(Guid.NewGuid(), _sandbox.Agent(agentScript), timeoutSeconds) with { Hooks = new ProjectHooks(pre, post) };
        var events = new PublishedEvents();
        var runner = new LocalWorkspaceRunner(spec, WorkspaceSandbox.Credential(), _sandbox.Options(), events.Publish);
        return (await runner.RunAsync().WaitAsync(TimeSpan.FromSeconds(60)), events, runner);
    }

    [Fact]
    public async Task hooks_run_in_order_in_the_clone_and_their_output_comes_as_hook_lines_around_the_agents()
    {
        var (exited, events, runner) = await Run(
            "echo 'agent here'; cat hook-made.txt",
            pre: ["echo \"pre 1 in $PWD\"; echo made-by-a-pre-hook > hook-made.txt", "echo 'pre 2 to stderr' >&2; printf 'no newline at the end'"],
            post: ["echo 'post 1'"]);

        exited.End.ShouldBe(WorkspaceEnd.Exited, exited.Error);
        var lines = events.Lines.Select(l => (l.Stream, l.Text)).ToList();
        int At(OutputStream stream, string text)
        {
            var index = lines.IndexOf((stream, text));
            index.ShouldBeGreaterThanOrEqualTo(0, $"no {stream} line “{text}”");
            return index;
        }

        var order = new[]
        {
            At(OutputStream.System, "pre-hook 1/2: echo \"pre 1 in $PWD\"; echo made-by-a-pre-hook > hook-made.txt"),
            At(OutputStream.Hook, $"pre 1 in {runner.RepositoryDirectory}"),
            At(OutputStream.System, "pre-hook 2/2: echo 'pre 2 to stderr' >&2; printf 'no newline at the end'"),
            At(OutputStream.Hook, "pre 2 to stderr"),
            At(OutputStream.Hook, "no newline at the end"),
            At(OutputStream.System, "agent started: bash"),
            At(OutputStream.Stdout, "agent here"),
            At(OutputStream.Stdout, "made-by-a-pre-hook"),
            At(OutputStream.System, "post-hook 1/1: echo 'post 1'"),
            At(OutputStream.Hook, "post 1"),
        };
        order.ShouldBe(order.Order().ToArray());
        exited.Result.ShouldNotBeNull().PreHookFailure.ShouldBeNull();
        exited.Result.PostHookFailure.ShouldBeNull();
    }

    [Fact]
    public async Task hooks_get_neither_the_credential_variables_nor_the_agents_home()
    {
        var (exited, events, runner) = await Run(
            "echo \"agent key length ${#ANTHROPIC_API_KEY}\"",
            pre: ["echo \"pre key=[${ANTHROPIC_API_KEY:-}] home=$HOME\"; env | grep -c '^ANTHROPIC_API_KEY=' || true"],
            post: ["echo \"post key=[${ANTHROPIC_API_KEY:-}]\"; echo $ANTHROPIC_API_KEY"]);

        exited.End.ShouldBe(WorkspaceEnd.Exited, exited.Error);
        var hook = events.Text(OutputStream.Hook).ToList();
        hook.ShouldContain($"pre key=[] home={Path.Combine(runner.Directory, "hooks-home")}");
        hook.ShouldContain("0");
        hook.ShouldContain("post key=[]");
        events.Text(OutputStream.Stdout).ShouldContain($"agent key length {WorkspaceSandbox.Key.Length}");
        events.Lines.ShouldNotContain(l => l.Text.Contains(WorkspaceSandbox.Key));
    }

    [Fact]
    public async Task a_failing_pre_hook_ends_the_run_before_the_agent_with_its_exit_code_and_last_lines()
    {
        var marker = Path.Combine(_sandbox.Root, "agent-ran");
        var (exited, events, runner) = await Run(
            $"touch {marker}; git commit --allow-empty -qm 'Agent commit'",
            pre: ["echo ok", $"for i in $(seq 1 30); do echo \"line $i\"; done; echo 'npm ERR! missing: left-pad' >&2; echo {WorkspaceSandbox.Key}; exit 3", "echo never"],
            post: ["echo never either"]);

        exited.End.ShouldBe(WorkspaceEnd.Failed);
        exited.ExitCode.ShouldBe(2);
        var failure = exited.Result.ShouldNotBeNull().PreHookFailure.ShouldNotBeNull();
        failure.ShouldBe(failure with { Phase = HookPhase.Pre, Number = 2, ExitCode = 3 });
        failure.Command.ShouldStartWith("for i in $(seq 1 30)");
        failure.Output.Split('\n').ShouldBe([.. Enumerable.Range(13, 18).Select(i => $"line {i}"), "npm ERR! missing: left-pad", "[REDACTED]"]);
        exited.Error.ShouldBe(failure.Describe());
        exited.Error.ShouldStartWith("Pre-hook 2 (`for i in $(seq 1 30);");
        exited.Error.ShouldContain("failed with exit code 3:\n");

        File.Exists(marker).ShouldBeFalse();
        exited.Result.Commits.ShouldBeEmpty();
        exited.Result.Pushed.ShouldBeFalse();
        _sandbox.OriginBranch($"catalyst/{runner.TaskId.ToString("N")[..8]}").ShouldBeNull();
        events.All.OfType<AgentStarted>().ShouldBeEmpty();
        events.Text(OutputStream.Hook).ShouldNotContain("never");
        events.Text(OutputStream.System).ShouldContain("1 more pre-hook(s) not run");
    }

    [Fact]
    public async Task a_failing_post_hook_keeps_the_agents_commits_and_leaves_out_what_the_hooks_changed()
    {
        var (exited, events, _) = await Run(
            "echo agent > agent.txt",
            pre: [],
            post: ["echo formatted > formatted.txt", "echo 'lint: 2 problems' >&2; exit 4", "echo never"]);

        exited.End.ShouldBe(WorkspaceEnd.Exited, exited.Error);
        exited.ExitCode.ShouldBe(0);
        var result = exited.Result.ShouldNotBeNull();
        result.Commits.Select(c => c.Message).ShouldBe(["Catalyst: uncommitted changes left by the agent"]);
        result.Pushed.ShouldBeTrue();
        var failure = result.PostHookFailure.ShouldNotBeNull();
        failure.ShouldBe(new HookFailure(HookPhase.Post, 2, "echo 'lint: 2 problems' >&2; exit 4", 4, "lint: 2 problems"));
        events.Text(OutputStream.Hook).ShouldNotContain("never");
        events.Text(OutputStream.System).ShouldContain("the post-hooks' changes are left out: a post-hook failed");
    }

    [Fact]
    public async Task when_the_post_hooks_pass_what_they_changed_is_its_own_commit_after_the_agents()
    {
        var (exited, _, _) = await Run(
            "echo agent > agent.txt",
            pre: [],
            post: ["echo formatted > formatted.txt", "test -f agent.txt && git log -1 --format=%s"]);

        exited.End.ShouldBe(WorkspaceEnd.Exited, exited.Error);
        var result = exited.Result.ShouldNotBeNull();
        result.PostHookFailure.ShouldBeNull();
        result.Commits.Select(c => c.Message).ShouldBe(["Catalyst: uncommitted changes left by the agent", "Catalyst: changes made by the project's post-hooks"]);
        _sandbox.OriginBranch(result.Branch).ShouldBe(result.Commits[^1].Sha);
    }

    [Fact]
    public async Task a_hanging_pre_hook_is_stopped_and_leaves_nothing_running()
    {
        var spec = _sandbox.Spec(Guid.NewGuid(), _sandbox.Agent("echo agent")) with
        {
            Hooks = new ProjectHooks(["echo waiting; trap '' TERM; sleep 300 & sleep 300"], []),
        };
        var events = new PublishedEvents();
        var runner = new LocalWorkspaceRunner(spec, WorkspaceSandbox.Credential(), _sandbox.Options(stopGraceSeconds: 2), events.Publish);
        var run = runner.RunAsync();
        await events.WaitForLine("waiting");

        runner.Stop("Cancelled by a user.");
        var exited = await run.WaitAsync(TimeSpan.FromSeconds(30));

        exited.End.ShouldBe(WorkspaceEnd.Cancelled);
        events.All.OfType<AgentStarted>().ShouldBeEmpty();
        ProcessTable.OfTask(spec.TaskId).ShouldBeEmpty();
    }
}
