using Catalyst.Contracts;
using Marten;

namespace Catalyst.Integrations.Projects;

/// <summary>Creates a project; its creator is its first member.</summary>
public sealed record CreateProject(Guid UserId, ProjectSettings Settings);

public static class CreateProjectHandler
{
    public static async Task<Result<ProjectView>> Handle(CreateProject command, IDocumentSession session, TimeProvider clock, LocalRepositoryRoots localRepositories, CancellationToken ct)
    {
        // A slug left empty is made from the name, as the form suggests it.
        var settings = string.IsNullOrWhiteSpace(command.Settings.Slug) ? command.Settings with { Slug = ProjectSettings.SlugFrom(command.Settings.Name) } : command.Settings;
        var errors = settings.Validate(localRepositories);
        if (errors.Count > 0) return Result<ProjectView>.Fail(errors);
        if (await session.Query<Project>().AnyAsync(p => p.Slug == settings.Slug, ct))
            return Result<ProjectView>.Fail(new CommandError(nameof(settings.Slug), ProjectSettings.SlugNotAvailable(settings.Slug), ErrorKind.Conflict));

        var now = clock.GetUtcNow();
        var project = new Project
        {
            Id = Guid.CreateVersion7(),
            Name = settings.Name.Trim(),
            Slug = settings.Slug,
            RepositoryUrl = settings.RepositoryUrl.Trim(),
            DefaultBranch = settings.Branch,
            GitHubRepository = string.IsNullOrWhiteSpace(settings.GitHubRepository) ? null : settings.GitHubRepository.Trim(),
            MemberIds = [command.UserId],
            Limits = new ProjectLimits { TimeoutSeconds = settings.TimeoutSeconds, MaxConcurrentTasks = settings.MaxConcurrentTasks },
            Hooks = settings.Hooks,
            Sandbox = settings.Sandbox,
            TaskBudget = settings.TaskBudget,
            CreatedBy = command.UserId,
            CreatedAt = now,
            UpdatedAt = now,
        };
        session.Store(project);
        return Result<ProjectView>.Ok(ProjectView.From(project));
    }
}
