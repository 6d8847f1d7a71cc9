using Marten;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Catalyst.Credentials.Encryption;

/// <summary>
/// At start-up: every stored credential must name a key this process has. Starting without it would turn every
/// task that uses such a credential into a failure later; refusing now names the missing key id.
/// </summary>
public sealed class EncryptionKeyCheck(IDocumentStore store, CredentialKeyRing keys, ILogger<EncryptionKeyCheck> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var session = store.QuerySession();
        var used = await session.Query<UserAgentCredential>()
            .Where(c => c.DeletedAt == null && c.Secret != null)
            .Select(c => c.Secret!.KeyId)
            .ToListAsync(cancellationToken);
        var counts = used.GroupBy(id => id).ToDictionary(g => g.Key, g => g.Count());
        var missing = counts.Keys.Where(id => !keys.Has(id)).OrderBy(id => id).ToList();
        if (missing.Count > 0)
        {
            var error = keys.Missing(missing[0], counts[missing[0]]);
            throw new MissingEncryptionKeyException(missing[0], "Catalyst will not start: " + error.Message +
                (missing.Count > 1 ? $" Also missing: {string.Join(", ", missing.Skip(1))}." : ""));
        }
        logger.LogInformation("Credential encryption keys from {Source}: current {KeyId}, {Count} key(s); {Credentials} stored credential(s) all decryptable",
            keys.Source, keys.Current.Id, keys.Keys.Count, used.Count);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
