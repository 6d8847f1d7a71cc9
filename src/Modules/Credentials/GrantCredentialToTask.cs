using Catalyst.Contracts;
using Marten;

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
