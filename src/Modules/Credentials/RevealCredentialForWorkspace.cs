using System.Security.Cryptography;
using Catalyst.Contracts;
using Catalyst.Credentials.Encryption;
using Marten;
using Microsoft.Extensions.Logging;

namespace Catalyst.Credentials;

/// <summary>The record that a task may use a credential: written when the task is created by the credential's owner.</summary>
public sealed record CredentialGrant
{
    /// <summary>The task's id: one credential per task.</summary>
    public Guid Id { get; init; }
    public Guid CredentialId { get; init; }
    public Guid UserId { get; init; }
    public DateTimeOffset GrantedAt { get; init; }
}

public static class CredentialGrantHandler
{
    public static async Task<CredentialRef?> Handle(GrantCredentialToTask command, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        var credential = await session.LoadAsync<UserAgentCredential>(command.CredentialId, ct);
        if (credential is null || credential.OwnerId != command.UserId || !credential.Usable) return null;
        session.Store(new CredentialGrant { Id = command.TaskId, CredentialId = credential.Id, UserId = command.UserId, GrantedAt = clock.GetUtcNow() });
        return credential.ToRef();
    }
}

/// <summary>
/// The one place, besides a key test, where a key is decrypted: for the workspace of a task that was granted the
/// credential by its owner, in process. The answer never goes to a page, a log line or an MCP tool.
/// </summary>
public static class RevealCredentialForWorkspaceHandler
{
    public static async Task<WorkspaceCredential?> Handle(
        RevealCredentialForWorkspace query, IDocumentSession session, CredentialKeyRing keys, TimeProvider clock,
        ILogger<UserAgentCredential> logger, CancellationToken ct)
    {
        var grant = await session.LoadAsync<CredentialGrant>(query.TaskId, ct);
        var credential = await session.LoadAsync<UserAgentCredential>(query.CredentialId, ct);
        if (grant is null || grant.CredentialId != query.CredentialId || credential is null || credential.OwnerId != grant.UserId)
        {
            logger.LogWarning("Task {TaskId} asked for credential {CredentialId}, which was never granted to it", query.TaskId, query.CredentialId);
            return null;
        }
        if (!credential.Usable) return null;

        string key;
        try
        {
            key = keys.Decrypt(credential.Secret!, credential.AssociatedData());
        }
        catch (CryptographicException e)
        {
            throw new InvalidOperationException($"The key of credential {credential.Id} could not be decrypted with encryption key {credential.Secret!.KeyId}: {e.Message}");
        }

        session.Store(credential with { LastUsedAt = clock.GetUtcNow() });
        logger.LogInformation("Credential {CredentialId} handed to the workspace of task {TaskId}", credential.Id, query.TaskId);
        return new WorkspaceCredential(credential.Id, key, credential.Config.Model, credential.Config.BaseUrl);
    }
}
