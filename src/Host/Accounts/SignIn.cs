using Catalyst.Contracts;
using Marten;
using Microsoft.AspNetCore.Identity;

namespace Catalyst.Host.Accounts;

public sealed record CheckPassword(string Email, string Password);

public static class CheckPasswordHandler
{
    public const string WrongCredentials = "That email and password do not match an account.";
    public const string Disabled = "This account is disabled: ask an administrator of this Catalyst to enable it.";

    public static async Task<Result<AccountSummary>> Handle(CheckPassword command, IQuerySession session, CancellationToken ct)
    {
        var email = CatalystUser.Normalise(command.Email ?? "");
        var user = await session.Query<CatalystUser>().FirstOrDefaultAsync(u => u.Email == email, ct);
        if (user is null || RegisterAccountHandler.Verify(user, command.Password ?? "") == PasswordVerificationResult.Failed)
            return Result<AccountSummary>.Fail(new CommandError("", WrongCredentials));
        if (user.DisabledAt is not null) return Result<AccountSummary>.Fail(new CommandError("", Disabled));
        return Result<AccountSummary>.Ok(new(user.Id, user.Email, user.DisplayName, user.IsAdmin));
    }
}

/// <summary>A GitHub identity coming back from OAuth: the same account every time, created on first sign-in.</summary>
public sealed record SignInWithGitHub(long GitHubId, string Login, string? Email, string? Name);

public static class SignInWithGitHubHandler
{
    public static async Task<AccountSummary?> Handle(SignInWithGitHub command, IDocumentSession session, TimeProvider clock, SignUpPolicy policy, CancellationToken ct)
    {
        var user = await session.Query<CatalystUser>().FirstOrDefaultAsync(u => u.GitHubId == command.GitHubId, ct);
        var email = CatalystUser.Normalise(command.Email ?? $"{command.Login}@users.noreply.github.com");
        if (user is null)
        {
            // An existing local account with the same verified email gets the GitHub identity linked to it.
            user = await session.Query<CatalystUser>().FirstOrDefaultAsync(u => u.Email == email, ct);
            var first = user is null && !await session.Query<CatalystUser>().AnyAsync(ct);
            if (user is null && !first && !policy.Open) return null;
            user = (user ?? new CatalystUser
            {
                Id = Guid.CreateVersion7(),
                Email = email,
                DisplayName = command.Name ?? command.Login,
                IsAdmin = first,
                CreatedAt = clock.GetUtcNow(),
            }) with { GitHubId = command.GitHubId, GitHubLogin = command.Login };
            session.Store(user);
        }
        return new(user.Id, user.Email, user.DisplayName, user.IsAdmin);
    }
}

public static class UserDirectoryHandler
{
    public static async Task<UserRef?> Handle(FindUserByEmail query, IQuerySession session, CancellationToken ct)
    {
        var email = CatalystUser.Normalise(query.Email ?? "");
        var user = await session.Query<CatalystUser>().FirstOrDefaultAsync(u => u.Email == email, ct);
        return user is null ? null : new UserRef(user.Id, user.Email, user.DisplayName);
    }

    public static async Task<UserDescriptions> Handle(DescribeUsers query, IQuerySession session, CancellationToken ct)
    {
        var users = await session.LoadManyAsync<CatalystUser>(ct, query.Ids.Distinct());
        return new(users.ToDictionary(u => u.Id, u => new UserRef(u.Id, u.Email, u.DisplayName)));
    }

    public static async Task<IReadOnlyList<UserRef>> Handle(ListUsers query, IQuerySession session, CancellationToken ct) =>
        (await session.Query<CatalystUser>().OrderBy(u => u.Email).ToListAsync(ct)).Select(u => new UserRef(u.Id, u.Email, u.DisplayName)).ToList();
}
