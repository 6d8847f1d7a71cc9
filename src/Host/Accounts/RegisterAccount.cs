using System.Net.Mail;
using Catalyst.Contracts;
using Marten;
using Microsoft.AspNetCore.Identity;

namespace Catalyst.Host.Accounts;

/// <summary>Sign-up page and `admin create-user`. The first account becomes an admin.</summary>
public sealed record RegisterAccount(string Email, string Password, string? DisplayName = null, bool MakeAdmin = false)
{
    public const int MinimumPasswordLength = 8;
    public const int MaximumPasswordLength = 1024;

    public IReadOnlyList<CommandError> Validate()
    {
        var errors = new List<CommandError>();
        if (string.IsNullOrWhiteSpace(Email) || Email.Length > 254 || TextInput.ProblemCharacter(Email, false) is not null || !MailAddress.TryCreate(Email.Trim(), out var parsed) || parsed.Address != Email.Trim())
            errors.Add(new(nameof(Email), "Enter an email address such as ada@example.com."));
        if (string.IsNullOrEmpty(Password) || Password.Length < MinimumPasswordLength)
            errors.Add(new(nameof(Password), $"Choose a password of at least {MinimumPasswordLength} characters."));
        else if (Password.Length > MaximumPasswordLength)
            errors.Add(new(nameof(Password), $"Choose a password of at most {MaximumPasswordLength} characters."));
        if (DisplayName is { Length: > 100 })
            errors.Add(new(nameof(DisplayName), "Keep the name under 100 characters."));
        return errors;
    }
}

public sealed record AccountSummary(Guid Id, string Email, string DisplayName, bool IsAdmin);

public static class RegisterAccountHandler
{
    private static readonly PasswordHasher<CatalystUser> Hasher = new();

    public static async Task<Result<AccountSummary>> Handle(RegisterAccount command, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        var errors = command.Validate();
        if (errors.Count > 0) return Result<AccountSummary>.Fail(errors);

        var email = CatalystUser.Normalise(command.Email);
        if (await session.Query<CatalystUser>().AnyAsync(u => u.Email == email, ct))
            return Result<AccountSummary>.Fail(new CommandError(nameof(command.Email), "An account with this email already exists; sign in instead.", ErrorKind.Conflict));

        var first = !await session.Query<CatalystUser>().AnyAsync(ct);
        var user = new CatalystUser
        {
            Id = Guid.CreateVersion7(),
            Email = email,
            DisplayName = string.IsNullOrWhiteSpace(command.DisplayName) ? email.Split('@')[0] : command.DisplayName.Trim(),
            IsAdmin = first || command.MakeAdmin,
            CreatedAt = clock.GetUtcNow(),
        };
        user = user with { PasswordHash = Hasher.HashPassword(user, command.Password) };
        session.Store(user);
        return Result<AccountSummary>.Ok(new(user.Id, user.Email, user.DisplayName, user.IsAdmin));
    }

    public static CatalystUser WithPassword(CatalystUser user, string password) => user with { PasswordHash = Hasher.HashPassword(user, password) };

    public static PasswordVerificationResult Verify(CatalystUser user, string password) =>
        user.PasswordHash is null ? PasswordVerificationResult.Failed : Hasher.VerifyHashedPassword(user, user.PasswordHash, password);
}
