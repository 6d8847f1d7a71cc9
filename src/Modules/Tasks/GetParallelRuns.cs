using Catalyst.Tasks.Logs;
using Marten;
using Wolverine;

namespace Catalyst.Tasks;

/// <summary>A parallel request with its runs side by side, each with the last lines of its log: what the request's page shows.</summary>
public sealed record GetParallelRuns(Guid UserId, Guid TaskId, int TailLines = 6);

public sealed record ParallelRunColumn(AgentTaskView Run, IReadOnlyList<AgentTaskLog> Tail);

public sealed record ParallelRunsDetails(AgentTaskDetails Request, IReadOnlyList<ParallelRunColumn> Runs, long LastSequence)
{
    public AgentTaskView Task => Request.Task;
    public bool AnyRunGoing => Runs.Any(r => !r.Run.IsFinished);

    /// <summary>What each ended run with a pushed branch changed, by run id: the page shows them side by side.</summary>
    public IReadOnlyDictionary<Guid, RepositoryDiff> Diffs { get; init; } = new Dictionary<Guid, RepositoryDiff>();

    /// <summary>A completed run can be picked until the request has ended (it need not wait for the other runs).</summary>
    public bool CanChoose(AgentTaskView run) => run.Status == "completed" && !Task.IsFinished && Task.ChosenRunId is null;
}

public static class GetParallelRunsHandler
{
    public static async Task<ParallelRunsDetails?> Handle(GetParallelRuns query, IQuerySession session, IMessageBus bus, TaskLogReader reader, CancellationToken ct)
    {
        var details = await GetAgentTaskHandler.Handle(new GetAgentTask(query.UserId, query.TaskId), session, bus, ct);
        if (details?.Runs is null) return null;
        var columns = new List<ParallelRunColumn>();
        foreach (var run in details.Runs)
        {
            var count = await reader.CountAsync(run.Id, ct);
            var tail = await reader.ReadAsync(run.Id, new TaskLogReader.Filter(Math.Max(0, count - query.TailLines), Limit: query.TailLines), ct);
            columns.Add(new ParallelRunColumn(run, tail));
        }
        return new ParallelRunsDetails(details, columns, await reader.CountAsync(query.TaskId, ct));
    }
}
