using Catalyst.Tasks;
using Catalyst.Tasks.Domain;

namespace Catalyst.Tests.Tasks;

/// <summary>The pure parts of parallel runs: how the request follows its runs, who may be chosen, what a request must say.</summary>
public sealed class parallel_run_rules
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UnixEpoch.AddDays(1);

    private static (AgentTask Parent, AgentTask[] Runs) Request(params AgentTaskStatus[] statuses)
    {
        var parentId = Guid.NewGuid();
        var runs = statuses.Select((s, i) => new AgentTask
        {
            Id = Guid.NewGuid(), Status = s, ProviderDisplayName = "Script agent", Summary = s == AgentTaskStatus.Completed ? "1 commit" : null,
            Error = s == AgentTaskStatus.Completed ? null : $"boom {i + 1}",
        }.Apply(new RunOfParallelTask(parentId, i + 1, statuses.Length, Now))).ToArray();
        var parent = new AgentTask { Id = parentId, Status = AgentTaskStatus.Pending }.Apply(new ParallelRunsStarted(runs.Select(r => r.Id).ToList(), Now));
        return (parent, runs);
    }

    private static AgentTask Replay(AgentTask task, IEnumerable<object> events) => events.Aggregate(task, (t, e) => e switch
    {
        ParallelRunEnded x => t.Apply(x),
        ParallelRunsAwaitingChoice x => t.Apply(x),
        AgentTaskFinished x => t.Apply(x),
        _ => throw new InvalidOperationException($"Unexpected {e}"),
    });

    [Fact]
    public void the_request_keeps_running_while_a_run_has_not_ended()
    {
        var (parent, runs) = Request(AgentTaskStatus.Completed, AgentTaskStatus.Running, AgentTaskStatus.Pending);
        var events = FollowParallelRunsHandler.Follow(parent, runs, Now);
        events.ShouldHaveSingleItem().ShouldBeOfType<ParallelRunEnded>().Number.ShouldBe(1);
        Replay(parent, events).Status.ShouldBe(AgentTaskStatus.Running);
    }

    [Fact]
    public void once_every_run_ended_and_one_completed_the_request_awaits_a_choice()
    {
        var (parent, runs) = Request(AgentTaskStatus.Failed, AgentTaskStatus.Completed, AgentTaskStatus.TimedOut);
        var after = Replay(parent, FollowParallelRunsHandler.Follow(parent, runs, Now));
        after.Status.ShouldBe(AgentTaskStatus.AwaitingChoice);
        after.CompletedRunIds.ShouldBe([runs[1].Id]);
        // Following again records nothing twice.
        FollowParallelRunsHandler.Follow(after, runs, Now).ShouldBeEmpty();
    }

    [Fact]
    public void when_no_run_completed_the_request_fails_with_each_runs_end()
    {
        var (parent, runs) = Request(AgentTaskStatus.Failed, AgentTaskStatus.Cancelled);
        var after = Replay(parent, FollowParallelRunsHandler.Follow(parent, runs, Now));
        after.Status.ShouldBe(AgentTaskStatus.Failed);
        after.Error.ShouldBe("No run completed: run 1 (Script agent) failed: boom 1; run 2 (Script agent) cancelled: boom 2.");
    }

    [Fact]
    public void runs_ending_after_the_request_ended_are_recorded_without_changing_it()
    {
        var (parent, runs) = Request(AgentTaskStatus.Completed, AgentTaskStatus.Cancelled);
        var cancelled = parent.Apply(new AgentTaskFinished(AgentTaskStatus.Cancelled, "Cancelled", null, null, Now));
        var events = FollowParallelRunsHandler.Follow(cancelled, runs, Now);
        events.Count.ShouldBe(2);
        Replay(cancelled, events).Status.ShouldBe(AgentTaskStatus.Cancelled);
    }

    [Fact]
    public void only_a_completed_run_of_the_request_can_be_chosen_and_only_once()
    {
        var (parent, runs) = Request(AgentTaskStatus.Completed, AgentTaskStatus.Failed, AgentTaskStatus.Running);
        ChooseAgentRunHandler.Check(parent, runs[0]).ShouldBeNull();
        ChooseAgentRunHandler.Check(parent, runs[1])!.Message.ShouldBe("Only a completed run can be chosen; run 2 (Script agent) is failed.");
        ChooseAgentRunHandler.Check(parent, runs[2])!.Message.ShouldBe("Only a completed run can be chosen; run 3 (Script agent) is running.");
        ChooseAgentRunHandler.Check(parent, null)!.Message.ShouldBe("That run is not one of this request's runs.");
        ChooseAgentRunHandler.Check(runs[0], runs[0])!.Message.ShouldStartWith("This task has no runs to choose from");

        var chosen = parent.Apply(new RunChosen(runs[0].Id, 1, "Script agent", Guid.NewGuid(), runs[0].WorkBranch, [], true, null, "chosen", Now))
            .Apply(new AgentTaskFinished(AgentTaskStatus.Completed, null, "chosen", null, Now));
        chosen.WorkBranch.ShouldBe(runs[0].WorkBranch);
        ChooseAgentRunHandler.Check(chosen, runs[0])!.Message.ShouldBe("Run 1 was already chosen; a request's result is chosen once.");
        var cancelled = parent.Apply(new AgentTaskFinished(AgentTaskStatus.Cancelled, "Cancelled", null, null, Now));
        ChooseAgentRunHandler.Check(cancelled, runs[0])!.Message.ShouldBe("The request ended cancelled; there is no run to choose any more.");
    }

    [Fact]
    public void each_run_of_a_request_has_its_own_branch()
    {
        var (parent, runs) = Request(AgentTaskStatus.Pending, AgentTaskStatus.Pending, AgentTaskStatus.Pending);
        runs.Select(r => r.WorkBranch).Distinct().Count().ShouldBe(3);
        runs[1].WorkBranch.ShouldBe($"catalyst/{parent.Id.ToString("N")[^8..]}-run2");
        parent.WorkBranch.ShouldBeEmpty();
    }

    [Theory]
    [InlineData(1, "Ask for 2 to 5 runs; this asks for 1. A single run is a plain task: start it without runs.")]
    [InlineData(6, "Ask for 2 to 5 runs; this asks for 6.")]
    [InlineData(0, "Ask for 2 to 5 runs; this asks for 0.")]
    public void a_request_asks_for_two_to_five_runs(int count, string message)
    {
        var command = new CreateParallelAgentTask(Guid.NewGuid(), "shop", "feature-dev", "Fix it",
            Enumerable.Repeat(new ParallelRunRequest("claude-code", Guid.NewGuid()), count).ToList());
        command.Validate().ShouldHaveSingleItem().ShouldBe(new("Runs", message));
    }

    [Fact]
    public void each_run_is_checked_by_the_single_task_rules_and_named_by_its_number()
    {
        var command = new CreateParallelAgentTask(Guid.NewGuid(), "shop", "feature-dev", " ",
            [new("claude-code", Guid.NewGuid()), new("", null), new("codex-cli", null, "work")]);
        command.Validate().Select(e => (e.Field, e.Message)).ShouldBe([
            ("Instructions", "Write the instructions: what should the agent do?"),
            ("Runs[1].Provider", "Run 2: Choose an agent provider."),
            ("Runs[1].CredentialId", "Run 2: Choose one of your credentials for this provider (add one under Agent credentials)."),
        ]);
    }

    [Fact]
    public void a_request_says_what_it_runs() =>
        CreateParallelAgentTaskHandler.Describe(["Claude Code", "Codex CLI", "Claude Code"]).ShouldBe("3 runs: Claude Code ×2, Codex CLI");
}
