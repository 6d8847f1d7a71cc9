using Catalyst.Contracts;
using Catalyst.Host.Accounts;
using Marten;

namespace Catalyst.Host.Notifications;

/// <summary>
/// Emails a project invitation when SMTP is configured (<c>Catalyst__Smtp__Host</c>). Without it the invitation still
/// holds: the person joins when they next sign in or sign up with that address, and the inviter tells them so.
/// </summary>
public static class SendProjectInvitationHandler
{
    public static async Task Handle(ProjectInvitationIssued message, IQuerySession session, SmtpSettings smtp, ILogger<SmtpSettings> logger,
        CancellationToken ct)
    {
        if (!smtp.Enabled) return;
        var inviter = await session.LoadAsync<CatalystUser>(message.InvitedBy, ct);
        var who = inviter?.Email ?? "A member";
        var text = $"{who} invited you to the project \"{message.ProjectName}\" on Catalyst.\n\n" +
                   $"Sign in, or sign up, with this email address to join it:\n{smtp.PublicUrl}/signin\n\n" +
                   "If you did not expect this, you can ignore this email.\n";
        await smtp.SendAsync(message.Email, $"You are invited to {message.ProjectName} on Catalyst", text, logger, ct);
    }
}
