using System.Net.Mail;
using Catalyst.Contracts;
using Marten;

namespace Catalyst.Integrations.Projects;

/// <summary>
/// A member invites another person by email. The answer is the same whether or not an account uses that address (so the form
/// cannot be used to find out who has one): the address is invited (by email when SMTP is configured), and joins when that
/// person next signs in or signs up.
/// </summary>
public sealed record AddProjectMember(Guid UserId, string Slug, string Email);

public sealed record RemoveProjectMember(Guid UserId, string Slug, Guid MemberId);

public static class ProjectMembershipHandler
{
    public const int MaxEmailLength = 254;
    public const int MaxInvitations = 100;

    public static async Task<Result<ProjectView>> Handle(AddProjectMember command, IDocumentSession session, Wolverine.IMessageContext bus, TimeProvider clock,
        CancellationToken ct)
    {
        var project = await session.Query<Project>().FirstOrDefaultAsync(p => p.Slug == command.Slug, ct);
        if (project is null || !project.HasMember(command.UserId)) return Result<ProjectView>.NotFound("The project");
        if (EmailError(command.Email) is { } error) return Result<ProjectView>.Fail(new CommandError(nameof(command.Email), error));

        var email = command.Email.Trim().ToLowerInvariant();
        if (project.InvitedEmails.Contains(email)) return Result<ProjectView>.Ok(ProjectView.From(project));
        if (project.InvitedEmails.Count >= MaxInvitations)
            return Result<ProjectView>.Fail(new CommandError(nameof(command.Email), $"A project has at most {MaxInvitations} open invitations; wait for some to be accepted."));
        var updated = project with { InvitedEmails = [.. project.InvitedEmails, email], UpdatedAt = clock.GetUtcNow() };
        session.Store(updated);
        // Whether or not the address has an account: the invitation is the same, and goes out once the change is committed.
        await bus.PublishAsync(new ProjectInvitationIssued(email, project.Name, project.Slug, command.UserId));
        return Result<ProjectView>.Ok(ProjectView.From(updated));
    }

    public static string? EmailError(string? email)
    {
        if (string.IsNullOrWhiteSpace(email)) return "Enter the email address of the person to add.";
        email = email.Trim();
        if (email.Length > MaxEmailLength) return $"An email address is at most {MaxEmailLength} characters.";
        if (TextInput.ProblemCharacter(email, allowLineBreaks: false) is not null || !MailAddress.TryCreate(email, out var parsed) || parsed.Address != email)
            return "Enter one email address, such as colleague@example.com.";
        return null;
    }

    /// <summary>Someone signed in or up: every project that invited their address takes them in.</summary>
    public static async Task Handle(AcceptProjectInvitations command, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        var email = command.Email.Trim().ToLowerInvariant();
        var invited = await session.Query<Project>().Where(p => p.InvitedEmails.Contains(email)).ToListAsync(ct);
        foreach (var project in invited)
        {
            session.Store(project with
            {
                MemberIds = project.HasMember(command.UserId) ? project.MemberIds : [.. project.MemberIds, command.UserId],
                InvitedEmails = project.InvitedEmails.Where(e => e != email).ToList(),
                UpdatedAt = clock.GetUtcNow(),
            });
        }
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
