using Catalyst.Contracts;
using Marten;
using Microsoft.Extensions.Logging;

namespace Catalyst.Credentials;

/// <summary>
/// Deletes a credential: the sealed key is erased from the record at once, so no task can use it again; the record
/// stays (label, masked hint, dates) so that the tasks which used it keep their history.
/// </summary>
public sealed record DeleteAgentCredential(Guid UserId, Guid CredentialId);

public static class DeleteAgentCredentialHandler
{
    public static async Task<Result<Guid>> Handle(DeleteAgentCredential command, IDocumentSession session, TimeProvider clock, ILogger<UserAgentCredential> logger, CancellationToken ct)
    {
        var credential = await session.LoadAsync<UserAgentCredential>(command.CredentialId, ct);
        if (credential is null || credential.OwnerId != command.UserId || credential.DeletedAt is not null) return Result<Guid>.NotFound("The credential");
        session.Store(Erased(credential, clock.GetUtcNow()));
        logger.LogInformation("Agent credential {CredentialId} deleted by {UserId}; its key material is erased", credential.Id, command.UserId);
        return Result<Guid>.Ok(credential.Id);
    }

    public static UserAgentCredential Erased(UserAgentCredential credential, DateTimeOffset now) =>
        credential with { Secret = null, LabelKey = null, Active = false, DeletedAt = now };
}
