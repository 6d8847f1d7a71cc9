using Catalyst.Contracts;
using Marten;
using Microsoft.Extensions.Logging;

namespace Catalyst.Credentials;

/// <summary>
/// A workspace backend asks, in process, for the task's token when it starts a workspace. The credential must have been
/// granted to the task by its owner and still be usable. The task's earlier tokens stop working.
/// </summary>
public static class IssueTaskTokenHandler
{
    public static async Task<TaskAccess?> Handle(IssueTaskToken command, IDocumentSession session, TaskTokenCache cache, TimeProvider clock,
        LlmBrokerEndpoint broker, ILogger<TaskToken> logger, CancellationToken ct)
    {
        var grant = await session.LoadAsync<CredentialGrant>(command.TaskId, ct);
        var credential = await session.LoadAsync<UserAgentCredential>(command.CredentialId, ct);
        if (grant is null || grant.CredentialId != command.CredentialId || credential is null || credential.OwnerId != grant.UserId)
        {
            logger.LogWarning("Task {TaskId} asked for a token for credential {CredentialId}, which was never granted to it", command.TaskId, command.CredentialId);
            return null;
        }
        if (!credential.Usable) return null;
        var upstream = credential.Config.BaseUrl ?? command.Provider.DefaultBaseUrl;
        if (!Uri.TryCreate(upstream, UriKind.Absolute, out var upstreamUri) || upstreamUri.Scheme is not ("http" or "https"))
        {
            logger.LogWarning("Task {TaskId}: {Provider} has no usable base URL to forward to", command.TaskId, command.Provider.Name);
            return null;
        }

        var now = clock.GetUtcNow();
        var earlier = await session.Query<TaskToken>().Where(t => t.TaskId == command.TaskId && t.RevokedAt == null).ToListAsync(ct);
        foreach (var token in earlier) session.Store(token with { RevokedAt = now });
        cache.Forget(command.TaskId, now);

        var secret = TaskToken.NewSecret();
        session.Store(new TaskToken
        {
            Id = TaskToken.HashOf(secret),
            TaskId = command.TaskId,
            CredentialId = credential.Id,
            UserId = grant.UserId,
            Provider = command.Provider.Name,
            KeyHeaders = KeyHeadersOf(command.Provider),
            UpstreamBaseUrl = upstream!,
            Budget = command.Budget,
            IssuedAt = now,
        });
        session.Store(credential with { LastUsedAt = now });
        logger.LogInformation("Task token issued to task {TaskId} for credential {CredentialId}", command.TaskId, credential.Id);
        return new TaskAccess(command.TaskId, secret, credential.Config.Model ?? command.Provider.DefaultModel, upstream!) { BrokerUrl = broker.UrlIfStarted?.ToString() };
    }

    /// <summary>The headers that carry the key, from the provider's key check; an OpenAI-style bearer when it has none.</summary>
    public static IReadOnlyDictionary<string, string> KeyHeadersOf(AgentProviderInfo provider) =>
        provider.KeyCheck?.Headers.Where(h => h.Value.Contains("{key}", StringComparison.Ordinal)).ToDictionary(h => h.Key, h => h.Value) is { Count: > 0 } headers
            ? headers
            : new Dictionary<string, string> { ["Authorization"] = "Bearer {key}" };
}

/// <summary>The task's tokens stop working at once (on this node immediately, on others within the cache's few seconds).</summary>
public static class RevokeTaskTokenHandler
{
    public static async Task Handle(RevokeTaskToken command, IDocumentSession session, TaskTokenCache cache, TimeProvider clock, CancellationToken ct)
    {
        cache.Forget(command.TaskId);
        var live = await session.Query<TaskToken>().Where(t => t.TaskId == command.TaskId && t.RevokedAt == null).ToListAsync(ct);
        var now = clock.GetUtcNow();
        foreach (var token in live) session.Store(token with { RevokedAt = now });
    }
}
