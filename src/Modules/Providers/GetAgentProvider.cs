using Catalyst.Contracts;
using Catalyst.Providers.Catalogue;
using Marten;

namespace Catalyst.Providers;

public static class AgentProviderQueriesHandler
{
    public static async Task<AgentProviderInfo?> Handle(GetAgentProvider query, IQuerySession session, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(query.Name)) return null;
        var provider = await session.LoadAsync<AgentProvider>(query.Name.Trim(), ct);
        return provider?.ToInfo();
    }

    public static async Task<IReadOnlyList<AgentProviderInfo>> Handle(ListAgentProviders query, IQuerySession session, CancellationToken ct)
    {
        var providers = await session.Query<AgentProvider>().ToListAsync(ct);
        return providers
            .Where(p => query.IncludeInactive || p.Active)
            .OrderByDescending(p => p.Active)
            .ThenBy(p => p.Order)
            .ThenBy(p => p.DisplayName, StringComparer.OrdinalIgnoreCase)
            .Select(p => p.ToInfo())
            .ToList();
    }
}
