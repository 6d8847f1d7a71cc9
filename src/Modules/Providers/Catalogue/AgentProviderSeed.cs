using Marten;
using Marten.Schema;
using Microsoft.Extensions.Logging;

namespace Catalyst.Providers.Catalogue;

/// <summary>
/// Brings the stored catalogue in line with the definitions registered in code, at start-up (and after a
/// test's data reset): new definitions are inserted, changed ones updated, removed ones marked inactive.
/// Running it again with the same definitions writes nothing.
/// </summary>
public sealed class AgentProviderSeed(IEnumerable<AgentProviderDefinition> definitions, TimeProvider clock, ILogger<AgentProviderSeed> logger) : IInitialData
{
    public async Task Populate(IDocumentStore store, CancellationToken cancellation)
    {
        // A later registration of the same name replaces an earlier one (a deployment or a test overriding a built-in).
        var current = definitions.GroupBy(d => d.Name).Select(g => g.Last()).ToList();
        var problems = current.SelectMany(d => d.Validate()).ToList();
        if (problems.Count > 0) throw new InvalidOperationException("The agent provider catalogue is invalid: " + string.Join(" ", problems));

        await using var session = store.LightweightSession();
        var stored = (await session.Query<AgentProvider>().ToListAsync(cancellation)).ToDictionary(p => p.Id);
        var now = clock.GetUtcNow();
        var changed = 0;

        foreach (var definition in current)
        {
            if (!stored.TryGetValue(definition.Name, out var existing))
            {
                session.Store(AgentProvider.From(definition, now, now));
                changed++;
            }
            else if (existing.Fingerprint != AgentProvider.FingerprintOf(definition) || !existing.InCatalogue)
            {
                session.Store(AgentProvider.From(definition, existing.CreatedAt, now));
                changed++;
            }
        }

        foreach (var gone in stored.Values.Where(p => p.InCatalogue && current.All(d => d.Name != p.Id)))
        {
            session.Store(gone with { Active = false, InCatalogue = false, UpdatedAt = now });
            changed++;
        }

        if (changed == 0) return;
        await session.SaveChangesAsync(cancellation);
        logger.LogInformation("Agent provider catalogue seeded: {Changed} of {Count} providers written", changed, current.Count);
    }
}
