using Catalyst.Contracts;
using Marten;

namespace Catalyst.Host.Accounts;

/// <summary>A person changes their password: the current one first. Their other signed-in browsers are signed out.</summary>
public sealed record ChangePassword(Guid UserId, Guid? KeepSessionId, string CurrentPassword, string NewPassword)
{
    public IReadOnlyList<CommandError> Validate()
    {
        var errors = new List<CommandError>();
        if (string.IsNullOrEmpty(NewPassword) || NewPassword.Length < RegisterAccount.MinimumPasswordLength)
            errors.Add(new(nameof(NewPassword), $"Choose a password of at least {RegisterAccount.MinimumPasswordLength} characters."));
        else if (NewPassword.Length > 1000) errors.Add(new(nameof(NewPassword), "Keep the password under 1000 characters."));
        return errors;
    }
}

public static class ChangePasswordHandler
{
    public static async Task<Result<AccountSummary>> Handle(ChangePassword command, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        var user = await session.LoadAsync<CatalystUser>(command.UserId, ct);
        if (user is null) return Result<AccountSummary>.NotFound("The account");
        // An account made through GitHub has no password yet: it sets its first one without a current one.
        if (user.PasswordHash is not null && RegisterAccountHandler.Verify(user, command.CurrentPassword ?? "") == Microsoft.AspNetCore.Identity.PasswordVerificationResult.Failed)
            return Result<AccountSummary>.Fail(new CommandError(nameof(command.CurrentPassword), "That is not your current password."));
        var errors = command.Validate();
        if (errors.Count > 0) return Result<AccountSummary>.Fail(errors);

        session.Store(RegisterAccountHandler.WithPassword(user, command.NewPassword));
        var now = clock.GetUtcNow();
        var others = await session.Query<AccountSession>().Where(s => s.UserId == user.Id && s.EndedAt == null).ToListAsync(ct);
        foreach (var other in others.Where(s => s.Id != command.KeepSessionId)) session.Store(other with { EndedAt = now });
        return Result<AccountSummary>.Ok(new(user.Id, user.Email, user.DisplayName, user.IsAdmin));
    }
}
