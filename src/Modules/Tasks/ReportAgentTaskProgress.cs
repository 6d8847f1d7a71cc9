using Catalyst.Tasks.Domain;
using Catalyst.Tasks.Logs;
using Marten;

namespace Catalyst.Tasks;

/// <summary>Tells other modules (GitHub's progress comment) where a task stands each time its status changes.</summary>
public static class ReportAgentTaskProgressHandler
{
    /// <summary>Part of the handling of a status change (<see cref="AgentTaskStatusChangedHandler"/>).</summary>
    public static async Task<object[]> ReportAsync(AgentTask? task, TaskLogReader logs, CancellationToken ct)
    {
        if (task is null) return [];
        var report = task.Report();
        if (!task.Status.IsFinished()) return [new AgentTaskMoved(report)];
        var said = await logs.ReadAsync(task.Id, new TaskLogReader.Filter(Kinds: [TaskLogKinds.AgentMessage], Limit: 10_000), ct);
        return [new AgentTaskEnded(report with { FinalMessage = said.LastOrDefault()?.Message })];
    }

    public static async Task<AgentTaskReport?> Handle(FindAgentTaskReport query, IQuerySession session, CancellationToken ct) =>
        (await session.LoadAsync<AgentTask>(query.TaskId, ct))?.Report();
}

/// <summary>The Integrations module opened a pull request for the task's branch: it goes on the task's history once.</summary>
public static class RecordPullRequestHandler
{
    public static async Task Handle(PullRequestOpened message, IDocumentSession session, TaskLogWriter logs, CancellationToken ct)
    {
        var stream = await session.Events.FetchForWriting<AgentTask>(message.TaskId, ct);
        if (stream.Aggregate is null || stream.Aggregate.PullRequestUrl == message.Url) return;
        stream.AppendOne(new PullRequestRecorded(message.Number, message.Url, message.At));
        await logs.SystemAsync(message.TaskId, $"Pull request #{message.Number} opened: {message.Url}", TaskLogLevel.Info, ct);
    }
}

public static class ListContextTasksHandler
{
    public static async Task<IReadOnlyList<ContextTaskRef>> Handle(ListContextTasks query, IQuerySession session, CancellationToken ct)
    {
        var tasks = await session.Query<AgentTask>()
            .Where(t => t.ProjectId == query.ProjectId && t.Context.Kind == query.Kind)
            .OrderByDescending(t => t.CreatedAt)
            .Take(500)
            .ToListAsync(ct);
        return tasks.Where(t => t.Context.Number is not null)
            .Select(t => new ContextTaskRef(t.Id, t.Context.Number!.Value, t.Type, t.Status, t.CreatedAt)).ToList();
    }
}
