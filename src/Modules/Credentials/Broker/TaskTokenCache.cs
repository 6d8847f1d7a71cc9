using System.Collections.Concurrent;
using System.Security.Cryptography;
using Catalyst.Contracts;
using Catalyst.Credentials.Encryption;
using Marten;
using Microsoft.Extensions.Logging;

namespace Catalyst.Credentials;

/// <summary>What the broker needs to forward one task's request: the key headers filled in, where to, and the budgets.</summary>
public sealed record BrokerGrant(
    Guid TaskId, Guid UserId, string Provider, VendorApi Vendor, IReadOnlyList<KeyValuePair<string, string>> KeyHeaders, Uri Upstream,
    TaskBudget TaskBudget, TaskBudget MonthlyBudget, DateTimeOffset IssuedAt)
{
    public override string ToString() => $"BrokerGrant {{ TaskId = {TaskId}, Provider = {Provider}, KeyHeaders = [REDACTED] }}";
}

/// <summary>
/// Task tokens resolved to grants for a few seconds, so that a request costs no database round trip. A revoke on this
/// node takes effect at once: it drops the task's entries and refuses any entry issued before it.
/// </summary>
public sealed class TaskTokenCache(IDocumentStore store, CredentialKeyRing keys, TimeProvider clock, ILogger<TaskTokenCache> logger)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(5);
    private const int MaxEntries = 10_000;
    private readonly ConcurrentDictionary<string, (BrokerGrant Grant, DateTimeOffset Until)> _byHash = new();
    private readonly ConcurrentDictionary<Guid, DateTimeOffset> _revokedAt = new();

    /// <summary>The task's tokens issued before <paramref name="at"/> (now, by default) are refused from now on.</summary>
    public void Forget(Guid taskId, DateTimeOffset? at = null)
    {
        _revokedAt[taskId] = at ?? clock.GetUtcNow();
        foreach (var (hash, entry) in _byHash)
            if (entry.Grant.TaskId == taskId) _byHash.TryRemove(hash, out _);
    }

    /// <summary>Drops every cached grant (a budget or credential changed).</summary>
    public void ForgetAll() => _byHash.Clear();

    public async ValueTask<BrokerGrant?> FindAsync(string token, CancellationToken ct)
    {
        if (!token.StartsWith(TaskToken.Prefix, StringComparison.Ordinal) || token.Length > 100) return null;
        var hash = TaskToken.HashOf(token);
        var now = clock.GetUtcNow();
        if (_byHash.TryGetValue(hash, out var cached) && cached.Until > now) return Live(cached.Grant);

        var grant = await LoadAsync(hash, ct);
        // Only good tokens are kept: made-up ones would otherwise fill the cache.
        if (grant is null) return null;
        if (_byHash.Count > MaxEntries)
            foreach (var (key, entry) in _byHash)
                if (entry.Until <= now) _byHash.TryRemove(key, out _);
        _byHash[hash] = (grant, now + Lifetime);
        return Live(grant);
    }

    private BrokerGrant? Live(BrokerGrant? grant) =>
        grant is not null && _revokedAt.TryGetValue(grant.TaskId, out var revoked) && grant.IssuedAt < revoked ? null : grant;

    private async Task<BrokerGrant?> LoadAsync(string hash, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var token = await session.LoadAsync<TaskToken>(hash, ct);
        if (token is null || token.RevokedAt is not null) return null;
        var credential = await session.LoadAsync<UserAgentCredential>(token.CredentialId, ct);
        if (credential is null || !credential.Usable || credential.OwnerId != token.UserId) return null;
        var budget = await session.LoadAsync<UserBudget>(token.UserId, ct);

        string key;
        try
        {
            key = keys.Decrypt(credential.Secret!, credential.AssociatedData());
        }
        catch (CryptographicException)
        {
            logger.LogError("The key of credential {CredentialId} could not be decrypted with encryption key {KeyId}", credential.Id, credential.Secret!.KeyId);
            return null;
        }
        var headers = token.KeyHeaders.Select(h => KeyValuePair.Create(h.Key, h.Value.Replace("{key}", key, StringComparison.Ordinal))).ToList();
        var upstream = new Uri(new Uri(token.UpstreamBaseUrl).GetLeftPart(UriPartial.Authority));
        return new BrokerGrant(token.TaskId, token.UserId, token.Provider, VendorApis.Of(token.KeyHeaders), headers, upstream, token.Budget,
            budget?.Monthly ?? TaskBudget.None, token.IssuedAt);
    }
}
