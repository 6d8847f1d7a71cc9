using Catalyst.Tasks.Domain;
using Catalyst.Tasks.Logs;
using Marten;
using Wolverine;

namespace Catalyst.Tasks;

/// <summary>
/// A parallel request's status follows its runs: running while any run has not ended; once all have ended, awaiting choice
/// when at least one completed, failed when none did. Its log says what each run did.
/// </summary>
/// <summary>Sent when a run of a parallel request changed status: the request looks at its runs again.</summary>
public sealed record FollowParallelRequest(Guid ParentId);

public static class FollowParallelRunsHandler
{
    /// <summary>
    /// A run changed: say so in its request's log, and have the request follow (one request at a time, on its own queue).
    /// Part of the handling of a status change (<see cref="AgentTaskStatusChangedHandler"/>).
    /// </summary>
    public static async Task<OutgoingMessages> RunChangedAsync(AgentTaskStatusChanged message, AgentTask? run, TaskLogWriter logs, CancellationToken ct)
    {
        if (run?.ParentId is not { } parentId) return [];
        await logs.SystemAsync(parentId, Describe(run, message.Status),
            message.Status is AgentTaskStatus.Failed or AgentTaskStatus.TimedOut ? TaskLogLevel.Warn : TaskLogLevel.Info, ct);
        return [new FollowParallelRequest(parentId)];
    }

    public static async Task<OutgoingMessages> Handle(FollowParallelRequest message, IDocumentSession session, TaskLogWriter logs,
        TimeProvider clock, CancellationToken ct)
    {
        var stream = await session.Events.FetchForWriting<AgentTask>(message.ParentId, ct);
        if (stream.Aggregate is not { IsParallel: true } parent) return [];
        var runs = await session.LoadManyAsync<AgentTask>(ct, parent.RunIds);
        var events = Follow(parent, runs, clock.GetUtcNow());
        if (events.Count == 0) return [];

        stream.AppendMany(events);
        var after = events.Aggregate(parent, Apply);
        if (after.Status == parent.Status) return [];
        await logs.SystemAsync(parent.Id, after.Status == AgentTaskStatus.AwaitingChoice
                ? $"Every run has ended; {after.CompletedRunIds.Count} of {after.RunIds.Count} completed. Pick the run whose branch is the result."
                : $"Every run has ended and none completed. {after.Error}",
            after.Status == AgentTaskStatus.AwaitingChoice ? TaskLogLevel.Info : TaskLogLevel.Error, ct);
        return [new AgentTaskStatusChanged(parent.Id, after.Status)];
    }

    /// <summary>The pure part: what the request records, given its runs as they are now. Runs already recorded as ended are skipped.</summary>
    public static IReadOnlyList<object> Follow(AgentTask parent, IReadOnlyList<AgentTask> runs, DateTimeOffset now)
    {
        var events = new List<object>();
        var state = parent;
        foreach (var run in runs.Where(r => r.ParentId == parent.Id).OrderBy(r => r.RunNumber))
        {
            if (!run.Status.IsFinished() || state.EndedRunIds.Contains(run.Id)) continue;
            var ended = new ParallelRunEnded(run.Id, run.RunNumber, run.ProviderDisplayName, run.Status,
                run.Status == AgentTaskStatus.Completed ? run.Summary : run.Error, now);
            events.Add(ended);
            state = state.Apply(ended);
        }
        if (state.Status != AgentTaskStatus.Running || state.EndedRunIds.Count < state.RunIds.Count) return events;

        if (state.CompletedRunIds.Count > 0)
        {
            events.Add(new ParallelRunsAwaitingChoice(state.CompletedRunIds.Count, state.RunIds.Count, now));
        }
        else
        {
            var outcomes = runs.OrderBy(r => r.RunNumber).Select(r =>
                $"run {r.RunNumber} ({r.ProviderDisplayName}) {r.Status.Name()}{(string.IsNullOrWhiteSpace(r.Error) ? "" : $": {r.Error}")}");
            events.Add(new AgentTaskFinished(AgentTaskStatus.Failed, $"No run completed: {string.Join("; ", outcomes)}.", "No commits", null, now));
        }
        return events;
    }

    private static AgentTask Apply(AgentTask task, object e) => e switch
    {
        ParallelRunEnded x => task.Apply(x),
        ParallelRunsAwaitingChoice x => task.Apply(x),
        AgentTaskFinished x => task.Apply(x),
        _ => task,
    };

    private static string Describe(AgentTask run, AgentTaskStatus status)
    {
        var who = $"Run {run.RunNumber} ({run.ProviderDisplayName})";
        if (!status.IsFinished()) return $"{who}: {status.Name()}.";
        var detail = status == AgentTaskStatus.Completed ? run.Summary : run.Error;
        return string.IsNullOrWhiteSpace(detail) ? $"{who} ended {status.Name()}." : $"{who} ended {status.Name()}: {detail}";
    }
}
