using Catalyst.Contracts;
using Marten;

namespace Catalyst.Integrations.Projects;

public sealed record GetProject(Guid UserId, string Slug);

public sealed record ListProjects(Guid UserId);

public static class ProjectQueriesHandler
{
    /// <summary>Someone who is not a member gets the same answer as for a project that does not exist.</summary>
    public static async Task<ProjectView?> Handle(GetProject query, IQuerySession session, CancellationToken ct)
    {
        var project = await session.Query<Project>().FirstOrDefaultAsync(p => p.Slug == query.Slug, ct);
        return project is not null && project.HasMember(query.UserId) ? ProjectView.From(project) : null;
    }

    public static async Task<IReadOnlyList<ProjectView>> Handle(ListProjects query, IQuerySession session, CancellationToken ct)
    {
        var projects = await session.Query<Project>()
            .Where(p => p.MemberIds.Contains(query.UserId))
            .OrderBy(p => p.Name)
            .ToListAsync(ct);
        return projects.Select(ProjectView.From).ToList();
    }

    public static async Task<IReadOnlyList<ProjectRef>> Handle(ListMemberProjects query, IQuerySession session, CancellationToken ct) =>
        (await session.Query<Project>().Where(p => p.MemberIds.Contains(query.UserId)).OrderBy(p => p.Name).ToListAsync(ct)).Select(Ref).ToList();

    public static async Task<ProjectRef?> Handle(FindMemberProject query, IQuerySession session, CancellationToken ct)
    {
        var project = await session.Query<Project>().FirstOrDefaultAsync(p => p.Slug == query.Slug, ct);
        return project is not null && project.HasMember(query.UserId) ? Ref(project) : null;
    }

    public static async Task<ProjectRef?> Handle(FindProjectById query, IQuerySession session, CancellationToken ct)
    {
        var project = await session.LoadAsync<Project>(query.ProjectId, ct);
        return project is null ? null : Ref(project);
    }

    private static ProjectRef Ref(Project p) => new(p.Id, p.Slug, p.Name, p.RepositoryUrl, p.DefaultBranch, p.GitHubRepository,
        p.Limits.TimeoutSeconds, p.Limits.MaxConcurrentTasks, p.MemberIds) { Hooks = p.Hooks, Sandbox = p.Sandbox, TaskBudget = p.TaskBudget, Archived = p.ArchivedAt is not null };
}
