using Catalyst.Contracts;
using Marten;
using Wolverine;

namespace Catalyst.Credentials;

/// <summary>The person's credentials for the settings page: provider, label, masked key, last used, last test.</summary>
public sealed record ListAgentCredentials(Guid UserId);

public sealed record GetAgentCredential(Guid UserId, Guid CredentialId);

public static class AgentCredentialQueriesHandler
{
    public static async Task<IReadOnlyList<CredentialView>> Handle(ListAgentCredentials query, IQuerySession session, IMessageBus bus, CancellationToken ct)
    {
        var credentials = await session.Query<UserAgentCredential>()
            .Where(c => c.OwnerId == query.UserId && c.DeletedAt == null)
            .ToListAsync(ct);
        if (credentials.Count == 0) return [];
        var providers = (await bus.InvokeAsync<IReadOnlyList<AgentProviderInfo>>(new ListAgentProviders(IncludeInactive: true), ct)).ToDictionary(p => p.Name);
        return credentials
            .Select(c => CredentialView.From(c, providers.GetValueOrDefault(c.Provider)))
            .OrderBy(c => c.ProviderDisplayName, StringComparer.OrdinalIgnoreCase)
            .ThenBy(c => c.Label, StringComparer.OrdinalIgnoreCase)
            .ToList();
    }

    public static async Task<CredentialView?> Handle(GetAgentCredential query, IQuerySession session, IMessageBus bus, CancellationToken ct)
    {
        var credential = await session.LoadAsync<UserAgentCredential>(query.CredentialId, ct);
        if (credential is null || credential.OwnerId != query.UserId || credential.DeletedAt is not null) return null;
        return CredentialView.From(credential, await bus.InvokeAsync<AgentProviderInfo?>(new GetAgentProvider(credential.Provider), ct));
    }
}
