using Catalyst.Contracts;
using Marten;

namespace Catalyst.Credentials;

public static class FindDefaultUserCredentialHandler
{
    public static async Task<CredentialRef?> Handle(FindDefaultUserCredential query, IQuerySession session, CancellationToken ct)
    {
        var credentials = await session.Query<UserAgentCredential>()
            .Where(c => c.OwnerId == query.UserId && c.Provider == query.Provider && c.DeletedAt == null && c.Active)
            .ToListAsync(ct);
        return credentials.Where(c => c.Usable)
            .OrderByDescending(c => c.LastUsedAt ?? c.CreatedAt)
            .FirstOrDefault()?.ToRef();
    }
}
