using Catalyst.Contracts;
using Marten;
using Wolverine;

namespace Catalyst.Integrations.Projects;

/// <summary>A member adds another person, who must already have an account, by email.</summary>
public sealed record AddProjectMember(Guid UserId, string Slug, string Email);

public sealed record RemoveProjectMember(Guid UserId, string Slug, Guid MemberId);

public static class ProjectMembershipHandler
{
    public static async Task<Result<ProjectView>> Handle(AddProjectMember command, IDocumentSession session, IMessageBus bus, TimeProvider clock, CancellationToken ct)
    {
        var project = await session.Query<Project>().FirstOrDefaultAsync(p => p.Slug == command.Slug, ct);
        if (project is null || !project.HasMember(command.UserId)) return Result<ProjectView>.NotFound("The project");
        if (string.IsNullOrWhiteSpace(command.Email))
            return Result<ProjectView>.Fail(new CommandError(nameof(command.Email), "Enter the email address of the person to add."));

        var user = await bus.InvokeAsync<UserRef?>(new FindUserByEmail(command.Email), ct);
        if (user is null)
            return Result<ProjectView>.Fail(new CommandError(nameof(command.Email), $"No account uses {command.Email.Trim()}; ask them to sign up first."));
        if (project.HasMember(user.Id)) return Result<ProjectView>.Ok(ProjectView.From(project));

        var updated = project with { MemberIds = [.. project.MemberIds, user.Id], UpdatedAt = clock.GetUtcNow() };
        session.Store(updated);
        return Result<ProjectView>.Ok(ProjectView.From(updated));
    }

    public static async Task<Result<ProjectView>> Handle(RemoveProjectMember command, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        var project = await session.Query<Project>().FirstOrDefaultAsync(p => p.Slug == command.Slug, ct);
        if (project is null || !project.HasMember(command.UserId)) return Result<ProjectView>.NotFound("The project");
        if (!project.HasMember(command.MemberId)) return Result<ProjectView>.NotFound("The member");
        if (project.MemberIds.Count == 1)
            return Result<ProjectView>.Fail(new CommandError("", "A project keeps at least one member; add someone else before removing the last one."));
        var updated = project with { MemberIds = project.MemberIds.Where(id => id != command.MemberId).ToList(), UpdatedAt = clock.GetUtcNow() };
        session.Store(updated);
        return Result<ProjectView>.Ok(ProjectView.From(updated));
    }
}
