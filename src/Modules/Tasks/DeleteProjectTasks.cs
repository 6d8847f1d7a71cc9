using Catalyst.Contracts;
using Catalyst.Tasks.Domain;
using Catalyst.Tasks.Logs;
using Marten;

namespace Catalyst.Tasks;

/// <summary>What the Tasks module answers when a project is about to be deleted, and what it erases when the history goes with it.</summary>
public static class DeleteProjectTasksHandler
{
    public static async Task<int> Handle(CountUnfinishedProjectTasks query, IQuerySession session, CancellationToken ct) =>
        await session.Query<AgentTask>().CountAsync(t => t.ProjectId == query.ProjectId
            && t.Status != AgentTaskStatus.Completed && t.Status != AgentTaskStatus.Failed
            && t.Status != AgentTaskStatus.Cancelled && t.Status != AgentTaskStatus.TimedOut, ct);

    /// <summary>Every task of the project (runs of parallel requests too): its event stream, its snapshot and its log lines.</summary>
    public static async Task Handle(DeleteProjectTasks command, IDocumentSession session, CancellationToken ct)
    {
        var ids = await session.Query<AgentTask>().Where(t => t.ProjectId == command.ProjectId).Select(t => t.Id).ToListAsync(ct);
        if (ids.Count == 0) return;
        foreach (var id in ids)
        {
            session.Events.TombstoneStream(id);
            session.Delete<AgentTask>(id);
        }
        session.QueueSqlCommand($"delete from {TaskLogWriter.Table} where task_id = any(?)", ids.ToArray());
    }

    /// <summary>Every task of the project (runs of parallel requests too) becomes read-only history of a deleted project.</summary>
    public static async Task Handle(KeepProjectTasks command, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        var ids = await session.Query<AgentTask>().Where(t => t.ProjectId == command.ProjectId).Select(t => t.Id).ToListAsync(ct);
        var kept = new ProjectOfTaskDeleted(command.ProjectName, command.RepositoryUrl, command.DefaultBranch, command.GitHubRepository, clock.GetUtcNow());
        foreach (var id in ids) session.Events.Append(id, kept);
    }
}
