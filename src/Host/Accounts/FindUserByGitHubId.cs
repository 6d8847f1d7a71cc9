using Catalyst.Contracts;
using Marten;

namespace Catalyst.Host.Accounts;

public static class FindUserByGitHubIdHandler
{
    public static async Task<UserRef?> Handle(FindUserByGitHubId query, IQuerySession session, CancellationToken ct)
    {
        var user = await session.Query<CatalystUser>().FirstOrDefaultAsync(u => u.GitHubId == query.GitHubId, ct);
        return user is null ? null : new UserRef(user.Id, user.Email, user.DisplayName);
    }
}
