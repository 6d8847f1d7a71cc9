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

    /// <summary>For forms where a person picks one of their credentials: the ones that exist, optionally for one provider.</summary>
    public static async Task<IReadOnlyList<CredentialRef>> Handle(ListUserCredentials query, IQuerySession session, CancellationToken ct)
    {
        var provider = string.IsNullOrWhiteSpace(query.Provider) ? null : query.Provider.Trim();
        var credentials = await session.Query<UserAgentCredential>()
            .Where(c => c.OwnerId == query.UserId && c.DeletedAt == null)
            .ToListAsync(ct);
        return credentials
            .Where(c => provider is null || c.Provider == provider)
            .OrderBy(c => c.Provider, StringComparer.Ordinal)
            .ThenBy(c => c.Label, StringComparer.OrdinalIgnoreCase)
            .Select(c => c.ToRef())
            .ToList();
    }

    public static async Task<CredentialRef?> Handle(FindUserCredentialByLabel query, IQuerySession session, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(query.Provider) || string.IsNullOrWhiteSpace(query.Label)) return null;
        var labelKey = UserAgentCredential.LabelKeyOf(query.Provider.Trim(), query.Label);
        var credential = await session.Query<UserAgentCredential>().FirstOrDefaultAsync(c => c.OwnerId == query.UserId && c.LabelKey == labelKey, ct);
        return credential?.ToRef();
    }
}
