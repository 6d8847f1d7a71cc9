using Catalyst.Contracts;
using Catalyst.Tasks;
using Catalyst.Tasks.Domain;
using Catalyst.Tasks.Logs;
using Catalyst.Tasks.Queue;

namespace Catalyst.Tests.Unit;

public sealed class task_rules
{
    private static readonly Guid ProjectA = Guid.NewGuid(), ProjectB = Guid.NewGuid(), Ada = Guid.NewGuid(), Bob = Guid.NewGuid();

    private static AgentTask Task(Guid project, Guid user, int minute, AgentTaskStatus status = AgentTaskStatus.Pending) => new()
    {
        Id = Guid.NewGuid(), ProjectId = project, CreatedBy = user, Status = status, CreatedAt = DateTimeOffset.UnixEpoch.AddMinutes(minute),
    };

    [Fact]
    public void the_queue_starts_the_oldest_tasks_the_system_limit_allows()
    {
        var waiting = new[] { Task(ProjectA, Ada, 1), Task(ProjectB, Bob, 2), Task(ProjectA, Bob, 3) };
        var chosen = StartQueuedTasksHandler.Choose([], waiting, new TaskLimits(2, 10), _ => 10);
        chosen.ShouldBe([waiting[0], waiting[1]]);
    }

    [Fact]
    public void a_project_at_its_limit_waits_while_others_go_ahead()
    {
        var running = new[] { Task(ProjectA, Ada, 0, AgentTaskStatus.Running) };
        var waiting = new[] { Task(ProjectA, Bob, 1), Task(ProjectB, Bob, 2) };
        var chosen = StartQueuedTasksHandler.Choose(running, waiting, new TaskLimits(10, 10), p => p == ProjectA ? 1 : 5);
        chosen.ShouldBe([waiting[1]]);
    }

    [Fact]
    public void a_user_at_their_limit_waits()
    {
        var running = new[] { Task(ProjectA, Ada, 0, AgentTaskStatus.Provisioning) };
        var waiting = new[] { Task(ProjectB, Ada, 1), Task(ProjectB, Bob, 2), Task(ProjectB, Ada, 3) };
        var chosen = StartQueuedTasksHandler.Choose(running, waiting, new TaskLimits(10, 1), _ => 10);
        chosen.ShouldBe([waiting[1]]);
    }

    [Fact]
    public void nothing_starts_when_the_system_is_full()
    {
        var running = new[] { Task(ProjectA, Ada, 0, AgentTaskStatus.Running), Task(ProjectB, Bob, 0, AgentTaskStatus.Running) };
        StartQueuedTasksHandler.Choose(running, [Task(ProjectB, Ada, 1)], new TaskLimits(2, 10), _ => 10).ShouldBeEmpty();
    }

    [Theory]
    [InlineData(WorkspaceEnd.Exited, 0, AgentTaskStatus.Completed)]
    [InlineData(WorkspaceEnd.Exited, 2, AgentTaskStatus.Failed)]
    [InlineData(WorkspaceEnd.Cancelled, null, AgentTaskStatus.Failed)]
    [InlineData(WorkspaceEnd.TimedOut, null, AgentTaskStatus.TimedOut)]
    [InlineData(WorkspaceEnd.Failed, null, AgentTaskStatus.Failed)]
    public void how_a_workspace_ends_decides_the_status(WorkspaceEnd end, int? exitCode, AgentTaskStatus expected)
    {
        var task = Task(ProjectA, Ada, 0, AgentTaskStatus.Running) with { TimeoutSeconds = 60 };
        var (status, error) = WorkspaceLifecycleHandler.Outcome(task, new WorkspaceExited(task.Id, end, exitCode, "boom: stack trace", null, DateTimeOffset.UnixEpoch));
        status.ShouldBe(expected);
        if (expected == AgentTaskStatus.Completed) error.ShouldBeNull();
        else error.ShouldNotBeNullOrWhiteSpace();
        if (end == WorkspaceEnd.Exited && exitCode == 2) error.ShouldBe("The agent exited with code 2: boom: stack trace");
        if (end == WorkspaceEnd.TimedOut) error!.ShouldContain("60 s");
    }

    [Fact]
    public void a_stop_nobody_asked_for_is_a_failure_and_a_requested_one_a_cancellation()
    {
        var task = Task(ProjectA, Ada, 0, AgentTaskStatus.Running);
        var exit = new WorkspaceExited(task.Id, WorkspaceEnd.Cancelled, null, "The Catalyst host shut down while the agent was running.", null, DateTimeOffset.UnixEpoch);
        WorkspaceLifecycleHandler.Outcome(task, exit).ShouldBe((AgentTaskStatus.Failed, "The Catalyst host shut down while the agent was running."));
        WorkspaceLifecycleHandler.Outcome(task with { CancelRequested = true }, exit).Status.ShouldBe(AgentTaskStatus.Cancelled);
    }

    [Fact]
    public void task_requests_are_checked_before_anyone_is_asked()
    {
        new CreateAgentTask(Ada, "proj", "feature-dev", "Do it", "claude-code", Guid.NewGuid()).Validate().ShouldBeEmpty();
        var errors = new CreateAgentTask(Ada, "", "chores", " ", "", null).Validate().Select(e => e.Field).ToList();
        errors.ShouldBe(["ProjectSlug", "Type", "Instructions", "Provider", "CredentialId"], ignoreOrder: true);
        new CreateAgentTask(Ada, "p", "refactor", new string('x', 100 * 1024 + 1), "claude-code", Guid.NewGuid()).Validate()
            .Single().Message.ShouldContain("under 100 KB");
        new CreateAgentTask(Ada, "p", "issue-fix", "Fix", "claude-code", Guid.NewGuid(), Context: new TaskContext("issue")).Validate()
            .Single().Field.ShouldBe("Context");
    }

    [Fact]
    public void a_credential_must_be_the_callers_active_one_for_that_provider()
    {
        var provider = new AgentProviderInfo("claude-code", "Claude Code", "", true, [], ["ANTHROPIC_API_KEY"], null, null, null,
            new AgentLaunch(["claude"], new Dictionary<string, string>(), new Dictionary<string, string>(), "text"));
        var mine = new CredentialRef(Guid.NewGuid(), Ada, "claude-code", "work", "sk-an…1234", true, null, null);
        CreateAgentTaskHandler.CheckCredential(mine, provider).ShouldBeNull();
        CreateAgentTaskHandler.CheckCredential(null, provider)!.Message.ShouldContain("not found among yours");
        CreateAgentTaskHandler.CheckCredential(mine with { Active = false }, provider)!.Message.ShouldContain("deleted");
        CreateAgentTaskHandler.CheckCredential(mine with { Provider = "codex-cli" }, provider)!.Message.ShouldContain("is for codex-cli");
    }

    [Fact]
    public void a_level_filter_shows_that_level_and_worse()
    {
        GetAgentTaskLogsHandler.ParseLevels("warn", out var error).ShouldBe([TaskLogLevel.Warn, TaskLogLevel.Error]);
        error.ShouldBeNull();
        GetAgentTaskLogsHandler.ParseLevels(null, out _).ShouldBeNull();
        GetAgentTaskLogsHandler.ParseLevels("loud", out error).ShouldBeNull();
        error!.Message.ShouldContain("debug, info, warn or error");
    }

    [Fact]
    public void the_task_branch_is_named_after_the_task()
    {
        var id = Guid.Parse("01234567-0000-7000-8000-00000123abcd");
        AgentTask.BranchFor(id).ShouldBe("catalyst/0123abcd");
    }

    [Fact]
    public void tasks_created_in_the_same_moment_get_different_branches()
    {
        var at = DateTimeOffset.UtcNow;
        var branches = Enumerable.Range(0, 200).Select(_ => AgentTask.BranchFor(Guid.CreateVersion7(at))).ToList();
        branches.Distinct().Count().ShouldBe(branches.Count);
    }

    [Fact]
    public void the_aggregate_follows_its_events_without_changing_the_old_state()
    {
        var at = DateTimeOffset.UnixEpoch;
        var created = AgentTask.Create(new AgentTaskCreated(Guid.NewGuid(), ProjectA, "p", "refactor", TaskContext.Manual, "claude-code", "Claude Code",
            Guid.NewGuid(), "work", "Do", Ada, at, null, 60));
        var running = created.Apply(new WorkspaceRequested(at)).Apply(new AgentRunStarted(at.AddSeconds(1)));
        var done = running.Apply(new AgentTaskFinished(AgentTaskStatus.Completed, null, "1 commit", 0, at.AddSeconds(5)));
        created.Status.ShouldBe(AgentTaskStatus.Pending);
        running.Status.ShouldBe(AgentTaskStatus.Running);
        done.Status.ShouldBe(AgentTaskStatus.Completed);
        done.EndedAt.ShouldBe(at.AddSeconds(5));
        done.Apply(new TokenUsageRecorded(10, 5, 0.01m, at)).Apply(new TokenUsageRecorded(1, 1, null, at)).InputTokens.ShouldBe(11);
    }
}
