using System.Net.Mail;
using System.Security.Cryptography;
using System.Text;
using Catalyst.Contracts;
using Marten;

namespace Catalyst.Host.Accounts;

/// <summary>An invitation to create an account when sign-up is invite-only: only the SHA-256 of its token is kept.</summary>
public sealed record Invitation
{
    public Guid Id { get; init; }
    public required string Hash { get; init; }
    public string? Email { get; init; }
    public Guid CreatedBy { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset ExpiresAt { get; init; }
    public DateTimeOffset? UsedAt { get; init; }

    public static string HashOf(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}

/// <summary>An admin invites someone (optionally only that email address); the link works once, for 7 days.</summary>
public sealed record CreateInvitation(Guid AdminId, string? Email);

public sealed record CreatedInvitation(Guid Id, string Token, string? Email, DateTimeOffset ExpiresAt);

public static class CreateInvitationHandler
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(7);

    public static async Task<Result<CreatedInvitation>> Handle(CreateInvitation command, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        var admin = await session.LoadAsync<CatalystUser>(command.AdminId, ct);
        if (admin is not { IsAdmin: true }) return Result<CreatedInvitation>.NotFound("The page");
        var email = string.IsNullOrWhiteSpace(command.Email) ? null : command.Email.Trim();
        if (email is not null && (!MailAddress.TryCreate(email, out var parsed) || parsed.Address != email))
            return Result<CreatedInvitation>.Fail(new CommandError("InviteEmail", "Enter an email address such as ada@example.com, or leave it empty for a link anyone can use once."));
        var token = "inv_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));
        var now = clock.GetUtcNow();
        var invitation = new Invitation
        {
            Id = Guid.CreateVersion7(), Hash = Invitation.HashOf(token), Email = email is null ? null : CatalystUser.Normalise(email),
            CreatedBy = admin.Id, CreatedAt = now, ExpiresAt = now + Lifetime,
        };
        session.Store(invitation);
        return Result<CreatedInvitation>.Ok(new(invitation.Id, token, invitation.Email, invitation.ExpiresAt));
    }
}

/// <summary>The sign-up page: an account as the sign-up policy allows (and the invitation, when one is needed, used up).</summary>
public sealed record SignUp(string Email, string Password, string? DisplayName, string? Invitation);

public static class SignUpHandler
{
    public const string Closed = "Sign-up is closed on this Catalyst: ask an administrator for an account.";
    public const string NeedsInvitation = "Sign-up here is by invitation: open the invitation link an administrator sent you.";

    public static async Task<Result<AccountSummary>> Handle(SignUp command, IDocumentSession session, SignUpPolicy policy, TimeProvider clock, CancellationToken ct)
    {
        var first = !await session.Query<CatalystUser>().AnyAsync(ct);
        Invitation? invitation = null;
        if (!first && !policy.Open)
        {
            if (!policy.InviteOnly) return Result<AccountSummary>.Fail(new CommandError("", Closed));
            var hash = Invitation.HashOf(command.Invitation ?? "");
            invitation = await session.Query<Invitation>().FirstOrDefaultAsync(i => i.Hash == hash, ct);
            if (invitation is null || invitation.UsedAt is not null || invitation.ExpiresAt < clock.GetUtcNow())
                return Result<AccountSummary>.Fail(new CommandError("", invitation is null ? NeedsInvitation : "This invitation has been used or has expired: ask for a new one."));
            if (invitation.Email is { } invited && invited != CatalystUser.Normalise(command.Email ?? ""))
                return Result<AccountSummary>.Fail(new CommandError("Email", $"This invitation is for {invited}."));
        }
        var result = await RegisterAccountHandler.Handle(new RegisterAccount(command.Email ?? "", command.Password ?? "", command.DisplayName), session, clock, ct);
        if (result.Succeeded && invitation is not null) session.Store(invitation with { UsedAt = clock.GetUtcNow() });
        return result;
    }
}
