using Catalyst.Contracts;
using Catalyst.Tasks.Domain;
using Catalyst.Tasks.Logs;
using Catalyst.Tasks.Nodes;
using Marten;
using Wolverine;

namespace Catalyst.Tasks;

/// <summary>
/// The owner of a parallel request picks the run whose branch, commits and summary become the request's result. Once, and only a
/// completed run; possible as soon as that run completed, in which case the runs still going are cancelled.
/// </summary>
public sealed record ChooseAgentRun(Guid UserId, Guid TaskId, Guid RunId);

public static class ChooseAgentRunHandler
{
    public static async Task<(Result<AgentTaskView>, OutgoingMessages)> Handle(ChooseAgentRun command, IDocumentSession session, IMessageBus bus,
        TaskLogWriter logs, CatalystNode node, TimeProvider clock, CancellationToken ct)
    {
        var outgoing = new OutgoingMessages();
        if (command.TaskId == Guid.Empty) return (Result<AgentTaskView>.NotFound("The task"), outgoing);
        var stream = await session.Events.FetchForWriting<AgentTask>(command.TaskId, ct);
        var parent = stream.Aggregate;
        if (parent is null || !await TaskAccess.CanSee(bus, command.UserId, parent, ct)) return (Result<AgentTaskView>.NotFound("The task"), outgoing);
        if (parent.RefusesActions() is { } readOnly) return (Result<AgentTaskView>.Fail(readOnly), outgoing);
        var run = parent.RunIds.Contains(command.RunId) ? await session.LoadAsync<AgentTask>(command.RunId, ct) : null;
        if (Check(parent, run) is { } error) return (Result<AgentTaskView>.Fail(error), outgoing);

        var now = clock.GetUtcNow();
        var summary = $"Run {run!.RunNumber} ({run.ProviderDisplayName}) chosen: {run.Summary ?? "no commits"}";
        var chosen = new RunChosen(run.Id, run.RunNumber, run.ProviderDisplayName, command.UserId, run.WorkBranch, run.Commits, run.BranchPushed,
            run.PushError, summary, now);
        var finished = new AgentTaskFinished(AgentTaskStatus.Completed, null, summary, null, now);
        stream.AppendMany(chosen, finished);
        await logs.SystemAsync(parent.Id, $"{summary}. Its branch {run.WorkBranch} is the result.", TaskLogLevel.Info, ct);
        var stopped = await CancelParallelAgentTask.CancelRuns(parent, command.UserId, run.Id, session, bus, logs, node, clock, outgoing, ct);
        if (stopped > 0) await logs.SystemAsync(parent.Id, $"Cancelling the {stopped} other run{(stopped == 1 ? "" : "s")} still going.", TaskLogLevel.Info, ct);
        outgoing.Add(new AgentTaskStatusChanged(parent.Id, AgentTaskStatus.Completed));
        return (Result<AgentTaskView>.Ok(AgentTaskView.From(parent.Apply(chosen).Apply(finished))), outgoing);
    }

    /// <summary>The pure part: why this run cannot be chosen now, or null when it can.</summary>
    public static CommandError? Check(AgentTask parent, AgentTask? run)
    {
        if (!parent.IsParallel)
            return new("RunId", "This task has no runs to choose from: only a request for parallel runs has.");
        if (parent.ChosenRunId is { } chosen)
            return new("RunId", $"Run {parent.RunIds.ToList().IndexOf(chosen) + 1} was already chosen; a request's result is chosen once.", ErrorKind.Conflict);
        if (parent.Status.IsFinished())
            return new("RunId", $"The request ended {parent.Status.Name()}; there is no run to choose any more.", ErrorKind.Conflict);
        if (run is null)
            return new("RunId", "That run is not one of this request's runs.");
        if (run.Status != AgentTaskStatus.Completed)
            return new("RunId", $"Only a completed run can be chosen; run {run.RunNumber} ({run.ProviderDisplayName}) is {run.Status.Name()}.");
        return null;
    }
}
