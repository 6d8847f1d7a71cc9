using Catalyst.Contracts;
using Marten;

namespace Catalyst.Credentials;

/// <summary>Other modules look credentials up without key material; someone else's credential, or a deleted one, does not exist for them.</summary>
public static class FindUserCredentialHandler
{
    public static async Task<CredentialRef?> Handle(FindUserCredential query, IQuerySession session, CancellationToken ct)
    {
        var credential = await session.LoadAsync<UserAgentCredential>(query.CredentialId, ct);
        return credential is not null && credential.OwnerId == query.UserId && credential.DeletedAt is null ? credential.ToRef() : null;
    }

    public static async Task<CredentialRef?> Handle(FindUserCredentialByLabel query, IQuerySession session, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(query.Provider) || string.IsNullOrWhiteSpace(query.Label)) return null;
        var labelKey = UserAgentCredential.LabelKeyOf(query.Provider.Trim(), query.Label);
        var credential = await session.Query<UserAgentCredential>().FirstOrDefaultAsync(c => c.OwnerId == query.UserId && c.LabelKey == labelKey, ct);
        return credential?.ToRef();
    }

    /// <summary>The person's usable credentials, for forms that pick one (optionally for one provider).</summary>
    public static async Task<IReadOnlyList<CredentialRef>> Handle(ListUserCredentials query, IQuerySession session, CancellationToken ct)
    {
        var credentials = await session.Query<UserAgentCredential>()
            .Where(c => c.OwnerId == query.UserId && c.DeletedAt == null)
            .ToListAsync(ct);
        return credentials
            .Where(c => query.Provider is null || c.Provider == query.Provider)
            .Select(c => c.ToRef())
            .OrderBy(c => c.Provider).ThenBy(c => c.Label, StringComparer.OrdinalIgnoreCase)
            .ToList();
    }
}
