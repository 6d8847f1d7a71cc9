using Catalyst.Contracts;
using Catalyst.Integrations.Projects;
using Catalyst.Tasks.Domain;
using Marten;

namespace Catalyst.Tests.Tasks;

/// <summary>
/// Tasks that already ran, written as the events the task's life records (created, started, commits, finished), for
/// pages that list history: many tasks without running many agents.
/// </summary>
public static class TaskHistory
{
    public sealed record Past(string Instructions, DateTimeOffset CreatedAt, AgentTaskStatus Status = AgentTaskStatus.Completed,
        int Commits = 0, TimeSpan? Ran = null, decimal? CostUsd = null, string? Error = null, bool CancelledByOwner = false, Guid? Id = null, Guid? RetryOf = null,
        string Type = "feature-dev", Guid? RunOf = null);

    public static async Task<Project> ProjectAsync(this IDocumentStore store, string slug)
    {
        await using var session = store.QuerySession();
        return await session.Query<Project>().SingleAsync(p => p.Slug == slug);
    }

    public static async Task<Guid> RecordAsync(this IDocumentStore store, Project project, Guid createdBy, Past past)
    {
        var id = past.Id ?? Guid.CreateVersion7(past.CreatedAt);
        var started = past.CreatedAt.AddSeconds(2);
        var ended = started + (past.Ran ?? TimeSpan.FromSeconds(95));
        var events = new List<object>
        {
            new AgentTaskCreated(id, project.Id, project.Slug, past.Type, TaskContext.Manual, "claude-code", "Claude Code", Guid.NewGuid(), "work",
                past.Instructions, createdBy, past.CreatedAt, past.RetryOf, 600),
        };
        if (past.RunOf is { } parent) events.Add(new RunOfParallelTask(parent, 1, 2, past.CreatedAt));
        events.AddRange(
        [
            new WorkspaceRequested(past.CreatedAt.AddSeconds(1)),
            new AgentRunStarted(started),
        ]);
        if (past.CostUsd is { } cost) events.Add(new TokenUsageRecorded(1_200, 300, cost, ended.AddSeconds(-1)));
        if (past.Commits > 0)
            events.Add(new CommitsCaptured(AgentTask.BranchFor(id),
                Enumerable.Range(1, past.Commits).Select(n => new CommitInfo($"{n:x2}{Guid.NewGuid():N}{Guid.NewGuid():N}"[..40], $"Change {n}", 1, 3, 1)).ToList(), true, null, ended));
        if (past.CancelledByOwner) events.Add(new CancellationRequested(createdBy, ended.AddSeconds(-1)));
        if (past.Status.IsFinished()) events.Add(new AgentTaskFinished(past.Status, past.Error, past.Status == AgentTaskStatus.Completed ? "Done." : null, 0, ended));
        await using var session = store.LightweightSession();
        session.Events.StartStream<AgentTask>(id, events.ToArray());
        if (past.RetryOf is { } original) session.Events.Append(original, new AgentTaskRetried(id, createdBy, past.CreatedAt));
        await session.SaveChangesAsync();
        return id;
    }
}
