using Catalyst.Contracts;
using Catalyst.Integrations.Projects;
using Catalyst.Tasks;
using Catalyst.Tasks.Domain;

namespace Catalyst.Tests.Unit;

public sealed class project_hooks_rules
{
    private static IReadOnlyList<CommandError> Errors(string[] pre, string[]? post = null) =>
        new ProjectSettings("Name", "ok", "/srv/repo") { PreHooks = pre, PostHooks = post ?? [] }.Validate(validation_rules.SrvRepositories);

    [Fact]
    public void blank_entries_are_dropped_and_commands_trimmed()
    {
        var settings = new ProjectSettings("Name", "ok", "/srv/repo") { PreHooks = ["  npm ci ", "", "   ", "make\tall"], PostHooks = [] };
        settings.Validate(validation_rules.SrvRepositories).ShouldBeEmpty();
        settings.Hooks.Pre.ShouldBe(["npm ci", "make\tall"]);
        settings.Hooks.Post.ShouldBeEmpty();
    }

    [Fact]
    public void at_most_twenty_commands_of_at_most_two_thousand_characters()
    {
        Errors([.. Enumerable.Repeat("true", 20)]).ShouldBeEmpty();
        Errors([], [.. Enumerable.Repeat("true", 21)]).Single().Field.ShouldBe("PostHooks");
        Errors([new string('x', 2000)]).ShouldBeEmpty();
        Errors([new string('x', 2001)]).Single().Message.ShouldContain("keep each command under 2,000 characters");
    }

    [Theory]
    [InlineData("echo a\0b")]
    [InlineData("echo one\necho two")]
    [InlineData("echo \u001b[31m")]
    [InlineData("echo \u2028 x")]
    public void control_characters_are_refused(string command) =>
        Errors([command]).Single().ShouldBe(new CommandError("PreHooks", "Pre-hook 1 contains a control character; write each command on one line, as plain text."));

    [Fact]
    public void a_failure_says_which_hook_its_exit_code_and_what_it_printed_last()
    {
        new HookFailure(HookPhase.Pre, 1, "npm ci", 3, "npm ERR! missing lockfile\n").Describe()
            .ShouldBe("Pre-hook 1 (`npm ci`) failed with exit code 3:\nnpm ERR! missing lockfile");
        new HookFailure(HookPhase.Post, 2, "npm test", 1, "  ").Describe().ShouldBe("Post-hook 2 (`npm test`) failed with exit code 1 and printed nothing.");
    }

    [Fact]
    public void a_failed_pre_hook_fails_the_task_with_its_message_and_a_failed_post_hook_does_not()
    {
        var task = new AgentTask { Id = Guid.NewGuid(), Status = AgentTaskStatus.Provisioning, TimeoutSeconds = 60 };
        var preHook = new HookFailure(HookPhase.Pre, 1, "npm ci", 3, "boom");
        var failedBefore = new WorkspaceExited(task.Id, WorkspaceEnd.Failed, 2, "runner stderr", new RunnerResult("b", "s", [], false, null) { PreHookFailure = preHook },
            DateTimeOffset.UnixEpoch);
        WorkspaceLifecycleHandler.Outcome(task, failedBefore).ShouldBe((AgentTaskStatus.Failed, preHook.Describe()));

        var postHook = new HookFailure(HookPhase.Post, 1, "npm test", 1, "1 failing");
        var completed = new WorkspaceExited(task.Id, WorkspaceEnd.Exited, 0, null, new RunnerResult("b", "s", [], true, null) { PostHookFailure = postHook },
            DateTimeOffset.UnixEpoch);
        WorkspaceLifecycleHandler.Outcome(task, completed).ShouldBe((AgentTaskStatus.Completed, null));

        // A stop during a pre-hook is a cancel, not a hook failure.
        var cancelled = failedBefore with { End = WorkspaceEnd.Cancelled, ExitCode = 143, Result = null };
        WorkspaceLifecycleHandler.Outcome(task with { CancelRequested = true }, cancelled).Status.ShouldBe(AgentTaskStatus.Cancelled);
    }

    [Fact]
    public void a_failed_post_hook_is_on_the_task_and_its_timeline()
    {
        var failure = new HookFailure(HookPhase.Post, 1, "npm test", 1, "1 failing");
        var task = new AgentTask { Id = Guid.NewGuid() }.Apply(new PostHookFailed(failure, DateTimeOffset.UnixEpoch));
        task.PostHookFailure.ShouldBe(failure);
        AgentTaskView.From(task).PostHookFailure.ShouldBe(failure);

        var timeline = GetAgentTaskHandler.Timeline([new JasperFx.Events.Event<PostHookFailed>(new PostHookFailed(failure, DateTimeOffset.UnixEpoch))]);
        timeline.Single().ShouldBe(new TimelineEntry(DateTimeOffset.UnixEpoch, "Post-hook failed", "1: `npm test` exited with code 1"));
    }
}
