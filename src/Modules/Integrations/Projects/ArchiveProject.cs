using Catalyst.Contracts;
using Marten;

namespace Catalyst.Integrations.Projects;

/// <summary>
/// Puts a project away without losing anything: it becomes read-only (no new tasks, no settings changes), is listed apart,
/// and comes back as it was when unarchived. Its creator or an admin may do it.
/// </summary>
public sealed record ArchiveProject(Guid UserId, bool IsAdmin, string Slug);

public sealed record UnarchiveProject(Guid UserId, bool IsAdmin, string Slug);

public static class ArchiveProjectHandler
{
    public static Task<Result<ProjectView>> Handle(ArchiveProject command, IDocumentSession session, TimeProvider clock, CancellationToken ct) =>
        SetArchived(session, command.UserId, command.IsAdmin, command.Slug, clock.GetUtcNow(), "archive", ct);

    public static Task<Result<ProjectView>> Handle(UnarchiveProject command, IDocumentSession session, TimeProvider clock, CancellationToken ct) =>
        SetArchived(session, command.UserId, command.IsAdmin, command.Slug, null, "unarchive", ct);

    private static async Task<Result<ProjectView>> SetArchived(IDocumentSession session, Guid userId, bool isAdmin, string slug, DateTimeOffset? archivedAt,
        string verb, CancellationToken ct)
    {
        var project = await session.Query<Project>().FirstOrDefaultAsync(p => p.Slug == slug, ct);
        if (project is null || !project.HasMember(userId)) return Result<ProjectView>.NotFound("The project");
        if (project.RefusesRemovalBy(userId, isAdmin, verb) is { } refused) return Result<ProjectView>.Fail(refused);
        // Archiving twice keeps the first date.
        if ((project.ArchivedAt is null) == (archivedAt is null)) return Result<ProjectView>.Ok(ProjectView.From(project));
        var updated = project with { ArchivedAt = archivedAt, UpdatedAt = archivedAt ?? project.UpdatedAt };
        session.Store(updated);
        return Result<ProjectView>.Ok(ProjectView.From(updated));
    }
}
