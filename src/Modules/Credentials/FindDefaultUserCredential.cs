using Catalyst.Contracts;
using Marten;

namespace Catalyst.Credentials;

public static class FindDefaultUserCredentialHandler
{
    public static async Task<CredentialRef?> Handle(FindDefaultUserCredential query, IQuerySession session, CancellationToken ct)
    {
        var usable = await Usable(session, query.UserId, query.Provider, ct);
        return (usable.FirstOrDefault(c => c.IsDefault) ?? (usable.Count == 1 ? usable[0] : null))?.ToRef();
    }

    public static async Task<int> Handle(CountUsableUserCredentials query, IQuerySession session, CancellationToken ct) =>
        (await Usable(session, query.UserId, query.Provider, ct)).Count;

    private static async Task<IReadOnlyList<UserAgentCredential>> Usable(IQuerySession session, Guid userId, string provider, CancellationToken ct) =>
        (await session.Query<UserAgentCredential>()
            .Where(c => c.OwnerId == userId && c.Provider == provider && c.DeletedAt == null && c.Active)
            .ToListAsync(ct)).Where(c => c.Usable).ToList();
}

/// <summary>Marks a credential as its owner's default for its provider; the one marked before for that provider is no longer.</summary>
public sealed record MarkDefaultAgentCredential(Guid UserId, Guid CredentialId);

public static class MarkDefaultAgentCredentialHandler
{
    public static async Task<Result<Guid>> Handle(MarkDefaultAgentCredential command, IDocumentSession session, CancellationToken ct)
    {
        var credential = await session.LoadAsync<UserAgentCredential>(command.CredentialId, ct);
        if (credential is null || credential.OwnerId != command.UserId || !credential.Usable) return Result<Guid>.NotFound("The credential");
        var marked = await session.Query<UserAgentCredential>()
            .Where(c => c.OwnerId == command.UserId && c.Provider == credential.Provider && c.IsDefault)
            .ToListAsync(ct);
        foreach (var other in marked.Where(c => c.Id != credential.Id)) session.Store(other with { IsDefault = false });
        session.Store(credential with { IsDefault = true });
        return Result<Guid>.Ok(credential.Id);
    }
}
