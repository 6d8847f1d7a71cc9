using Catalyst.Contracts;
using Marten;

namespace Catalyst.Integrations.Projects;

/// <summary>Changes a project's settings. The slug stays: it is in every URL and branch link already handed out.</summary>
public sealed record EditProject(Guid UserId, string Slug, ProjectSettings Settings);

public static class EditProjectHandler
{
    public static async Task<Result<ProjectView>> Handle(EditProject command, IDocumentSession session, TimeProvider clock, LocalRepositoryRoots localRepositories, CancellationToken ct)
    {
        var project = await session.Query<Project>().FirstOrDefaultAsync(p => p.Slug == command.Slug, ct);
        if (project is null || !project.HasMember(command.UserId)) return Result<ProjectView>.NotFound("The project");
        if (project.RefusesChanges("its settings cannot be changed") is { } archived) return Result<ProjectView>.Fail(archived);

        var settings = command.Settings with { Slug = project.Slug };
        var errors = settings.Validate(localRepositories);
        if (errors.Count > 0) return Result<ProjectView>.Fail(errors);

        var updated = project with
        {
            Name = settings.Name.Trim(),
            RepositoryUrl = settings.RepositoryUrl.Trim(),
            DefaultBranch = settings.Branch,
            GitHubRepository = string.IsNullOrWhiteSpace(settings.GitHubRepository) ? null : settings.GitHubRepository.Trim(),
            Limits = project.Limits with { TimeoutSeconds = settings.TimeoutSeconds, MaxConcurrentTasks = settings.MaxConcurrentTasks },
            Hooks = settings.Hooks,
            Sandbox = settings.Sandbox,
            TaskBudget = settings.TaskBudget,
            UpdatedAt = clock.GetUtcNow(),
        };
        session.Store(updated);
        return Result<ProjectView>.Ok(ProjectView.From(updated));
    }
}
