using Marten;

namespace Catalyst.Credentials.Encryption;

public sealed record KeyRotationReport(string NewKeyId, IReadOnlyList<string> PreviousKeyIds, int Reencrypted, string? KeyFile, EncryptionKey NewKey);

/// <summary>
/// `admin rotate-key`: a new master key, every stored credential sealed again under it. With a key file the new key
/// goes first in the file and the previous keys stay after it until the operator removes them; with keys from
/// configuration the operator is told what to set. Either way the previous keys are no longer needed afterwards.
/// </summary>
public static class EncryptionKeyRotation
{
    public static async Task<KeyRotationReport> RotateAsync(IDocumentStore store, CredentialKeyRing keys, TimeProvider clock, CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        var credentials = await session.Query<UserAgentCredential>().Where(c => c.Secret != null).ToListAsync(ct);

        // Refuse before changing anything if some credential cannot be opened.
        var unknown = credentials.Select(c => c.Secret!.KeyId).Distinct().Where(id => !keys.Has(id)).ToList();
        if (unknown.Count > 0) throw keys.Missing(unknown[0], credentials.Count(c => c.Secret!.KeyId == unknown[0]));

        var previous = keys.Keys;
        var fresh = EncryptionKey.Generate();
        IReadOnlyList<EncryptionKey> ring = [fresh, .. previous];
        // The new key is written (or held) before anything is sealed with it, so that no credential is ever under a key that is nowhere.
        if (keys.KeyFile is not null)
            keys.WriteKeyFile(ring, $"Rotated {clock.GetUtcNow():yyyy-MM-dd HH:mm}Z: only the first key is in use; the keys after it can be removed once every Catalyst process has restarted.");
        else
            keys.UseInMemory(ring);

        foreach (var credential in credentials)
        {
            var aad = credential.AssociatedData();
            var key = keys.Decrypt(credential.Secret!, aad);
            session.Store(credential with { Secret = CredentialCipher.Seal(fresh, key, aad) });
        }
        // Projects' secrets for outside services (GitHub) are sealed with the same keys.
        foreach (var secret in await session.Query<ProjectSecret>().ToListAsync(ct))
        {
            var aad = secret.AssociatedData();
            session.Store(secret with { Secret = CredentialCipher.Seal(fresh, keys.Decrypt(secret.Secret, aad), aad) });
        }
        await session.SaveChangesAsync(ct);
        return new KeyRotationReport(fresh.Id, previous.Select(k => k.Id).ToList(), credentials.Count, keys.KeyFile, fresh);
    }
}
