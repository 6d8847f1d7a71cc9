using Catalyst.Contracts;
using Marten;

namespace Catalyst.Host.Accounts;

/// <summary>What the admin page lists of an account.</summary>
public sealed record AccountView(Guid Id, string Email, string DisplayName, bool IsAdmin, bool Disabled, DateTimeOffset CreatedAt, bool HasPassword, string? GitHubLogin);

public sealed record ListAccounts(Guid AdminId);

public static class ListAccountsHandler
{
    public static async Task<Result<IReadOnlyList<AccountView>>> Handle(ListAccounts query, IQuerySession session, CancellationToken ct)
    {
        var admin = await session.LoadAsync<CatalystUser>(query.AdminId, ct);
        if (admin is not { IsAdmin: true }) return Result<IReadOnlyList<AccountView>>.NotFound("The page");
        var users = await session.Query<CatalystUser>().OrderBy(u => u.Email).ToListAsync(ct);
        return Result<IReadOnlyList<AccountView>>.Ok(users.Select(u =>
            new AccountView(u.Id, u.Email, u.DisplayName, u.IsAdmin, u.DisabledAt is not null, u.CreatedAt, u.PasswordHash is not null, u.GitHubLogin)).ToList());
    }
}
