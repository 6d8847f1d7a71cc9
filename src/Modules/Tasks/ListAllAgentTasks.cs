using Catalyst.Contracts;
using Catalyst.Tasks.Domain;
using Catalyst.Tasks.Pages.Agents;
using Marten;
using Marten.Services.BatchQuerying;
using Wolverine;

namespace Catalyst.Tasks;

/// <summary>
/// Every task of every project the person is a member of, and the tasks they started in projects deleted since (kept as
/// history), newest first: search in the instructions, filter by status and project.
/// </summary>
public sealed record ListAllAgentTasks(Guid UserId, string? Text = null, string? Status = null, string? ProjectSlug = null, int Page = 1, int PageSize = 25);

public sealed record AllAgentTasksPage(IReadOnlyList<AgentTaskView> Tasks, IReadOnlyList<ProjectRef> Projects, int Total, int Page, int PageSize)
{
    public bool HasNext => Page * PageSize < Total;
}

public static class ListAllAgentTasksHandler
{
    public static async Task<Result<AllAgentTasksPage>> Handle(ListAllAgentTasks query, IQuerySession session, IMessageBus bus, MemberProjects memberProjects,
        CancellationToken ct)
    {
        var projects = await memberProjects.ListAsync(bus, query.UserId, ct);
        AgentTaskStatus status = default;
        if (!string.IsNullOrEmpty(query.Status) && !AgentTaskStatusNames.TryParse(query.Status, out status))
            return Result<AllAgentTasksPage>.Fail(new CommandError("Status", $"Unknown status “{query.Status}”."));
        var ids = projects.Where(p => string.IsNullOrEmpty(query.ProjectSlug) || p.Slug == query.ProjectSlug).Select(p => p.Id).ToArray();
        var pageSize = Math.Clamp(query.PageSize, 1, 100);
        var page = Math.Max(1, query.Page);
        var withDeleted = string.IsNullOrEmpty(query.ProjectSlug);
        if (ids.Length == 0 && !withDeleted) return Result<AllAgentTasksPage>.Ok(new([], projects, 0, page, pageSize));
        var userId = query.UserId;

        // One round trip: the page and its total. Without a search, the total is summed from the counts the database keeps
        // per project and status (TaskCounts), plus the person's tasks kept from deleted projects (few, found by an index):
        // nothing on this page reads every task of a big project.
        var batch = session.CreateBatchQuery();
        var text = query.Text?.Trim() ?? "";
        var searching = text.Length > 0;
        var filteredStatus = !string.IsNullOrEmpty(query.Status);
        IBatchedQueryable<AgentTask> Filtered()
        {
            var tasks = withDeleted
                ? batch.Query<AgentTask>().Where(t => (ids.Contains(t.ProjectId) || t.OfDeletedProject && t.CreatedBy == userId) && t.ParentId == null)
                : batch.Query<AgentTask>().Where(t => ids.Contains(t.ProjectId) && t.ParentId == null);
            if (filteredStatus) tasks = tasks.Where(t => t.Status == status);
            if (searching) tasks = tasks.Where(t => t.Instructions.Contains(text, StringComparison.OrdinalIgnoreCase));
            return tasks;
        }
        Task<long>? searched = searching ? Filtered().Count() : null;
        var counted = searching ? null
            : filteredStatus ? batch.Query<Counted>(TaskCounts.SumInStatusSql, ids, (int)status) : batch.Query<Counted>(TaskCounts.SumSql, ids);
        Task<long>? kept = null;
        if (!searching && withDeleted)
        {
            var ofDeleted = batch.Query<AgentTask>().Where(t => t.OfDeletedProject && t.CreatedBy == userId && t.ParentId == null);
            kept = (filteredStatus ? ofDeleted.Where(t => t.Status == status) : ofDeleted).Count();
        }
        var found = Filtered().OrderByDescending(t => t.CreatedAt).Skip((page - 1) * pageSize).Take(pageSize).ToList();
        await batch.Execute(ct);
        var total = searched is not null ? await searched : (await counted!).Single().Count + (kept is null ? 0 : await kept);
        return Result<AllAgentTasksPage>.Ok(new((await found).Select(AgentTaskView.From).ToList(), projects, (int)total, page, pageSize));
    }
}

internal sealed record Counted(long Count);

public static class ListRecentAgentTasksHandler
{
    public static async Task<IReadOnlyList<AgentTaskLine>> Handle(ListRecentAgentTasks query, IQuerySession session, IMessageBus bus, CancellationToken ct)
    {
        var project = await bus.InvokeAsync<ProjectRef?>(new FindProjectById(query.ProjectId), ct);
        if (project is null || !project.MemberIds.Contains(query.UserId)) return [];
        var tasks = await session.Query<AgentTask>().Where(t => t.ProjectId == query.ProjectId && t.ParentId == null)
            .OrderByDescending(t => t.CreatedAt).Take(Math.Clamp(query.Count, 1, 50)).ToListAsync(ct);
        return tasks.Select(AgentTaskView.From).Select(t => new AgentTaskLine(t.Id, t.ProjectSlug, AgentTasksIndexModel.Headline(t.Instructions), t.Status, t.StatusLabel,
            t.StatusTone, t.ProviderDisplayName, t.CreatedAt, t.StartedAt, t.EndedAt, t.CostUsd, t.CreatedBy)).ToList();
    }
}
