using Catalyst.Credentials;
using Catalyst.Credentials.Encryption;
using Catalyst.Tests.Infrastructure;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace Catalyst.Tests.Credentials;

public sealed class rotating_the_encryption_key(AppFixture fixture) : IntegrationContext(fixture), IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("catalyst-rotation-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private CredentialKeyRing HostKeys => Host.Services.GetRequiredService<CredentialKeyRing>();

    /// <summary>A copy of the host's key file, so that rotating it leaves the shared test host alone.</summary>
    private CredentialKeyRing CopyOfHostKeys()
    {
        var copy = Path.Combine(_directory, "encryption-keys");
        File.Copy(HostKeys.KeyFile!, copy);
        return CredentialKeyRing.FromFile(copy);
    }

    private async Task<Dictionary<Guid, string>> AddCredentials(params (string Provider, string Label)[] credentials)
    {
        using var ada = await SignedUp("ada@example.com");
        var keys = new Dictionary<Guid, string>();
        foreach (var (provider, label) in credentials)
        {
            var key = FakeModelVendor.NewKey("sk-");
            keys[await ada.AddCredentialAsync(Store, provider, key, label)] = key;
        }
        return keys;
    }

    private async Task<List<UserAgentCredential>> Stored()
    {
        await using var session = Store.QuerySession();
        return (await session.Query<UserAgentCredential>().ToListAsync()).ToList();
    }

    [Fact]
    public async Task every_credential_still_decrypts_after_rotation_with_the_old_key_removed()
    {
        var keys = await AddCredentials(("claude-code", "a"), ("claude-code", "b"), ("codex-cli", "a"), ("cline", "c"));
        var ring = CopyOfHostKeys();
        var oldKey = ring.Current;
        (await Stored()).ShouldAllBe(c => c.Secret!.KeyId == oldKey.Id);

        var report = await EncryptionKeyRotation.RotateAsync(Store, ring, TimeProvider.System, CancellationToken.None);
        report.Reencrypted.ShouldBe(4);
        report.PreviousKeyIds.ShouldBe([oldKey.Id]);
        report.NewKeyId.ShouldNotBe(oldKey.Id);
        report.KeyFile.ShouldBe(ring.KeyFile);

        // The key file starts with the new key; the old one is still listed until the operator removes it.
        var lines = File.ReadAllLines(ring.KeyFile!).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        lines.ShouldBe([report.NewKey.ToBase64(), oldKey.ToBase64()]);
        if (!OperatingSystem.IsWindows()) File.GetUnixFileMode(ring.KeyFile!).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);

        // The operator removes the old key: every credential still opens with the new key alone.
        File.WriteAllLines(ring.KeyFile!, [lines[0]]);
        var newOnly = CredentialKeyRing.FromFile(ring.KeyFile!);
        newOnly.Keys.Select(k => k.Id).ShouldBe([report.NewKeyId]);
        var stored = await Stored();
        stored.Count.ShouldBe(4);
        foreach (var credential in stored)
        {
            credential.Secret!.KeyId.ShouldBe(report.NewKeyId);
            newOnly.Decrypt(credential.Secret, credential.AssociatedData()).ShouldBe(keys[credential.Id]);
        }

        // And the old key alone no longer opens any of them.
        var oldOnly = CredentialKeyRing.FromKeys(oldKey);
        foreach (var credential in stored)
            Should.Throw<MissingEncryptionKeyException>(() => oldOnly.Decrypt(credential.Secret!, credential.AssociatedData()));

        // A host with only the new key starts; one with only the old key refuses, naming the key it lacks.
        await new EncryptionKeyCheck(Store, newOnly, NullLogger<EncryptionKeyCheck>.Instance).StartAsync(CancellationToken.None);
        var refused = await Should.ThrowAsync<MissingEncryptionKeyException>(() =>
            new EncryptionKeyCheck(Store, oldOnly, NullLogger<EncryptionKeyCheck>.Instance).StartAsync(CancellationToken.None));
        refused.KeyId.ShouldBe(report.NewKeyId);
        refused.Message.ShouldContain($"4 stored agent credentials are encrypted with key id {report.NewKeyId}");
        refused.Message.ShouldStartWith("Catalyst will not start");
    }

    [Fact]
    public async Task with_keys_from_configuration_rotation_uses_the_new_key_at_once()
    {
        var keys = await AddCredentials(("claude-code", "a"));
        var oldKey = CopyOfHostKeys().Current;
        var ring = CredentialKeyRing.FromKeys(oldKey);

        var report = await EncryptionKeyRotation.RotateAsync(Store, ring, TimeProvider.System, CancellationToken.None);
        report.KeyFile.ShouldBeNull();
        ring.Current.Id.ShouldBe(report.NewKeyId);
        var credential = (await Stored()).Single();
        CredentialKeyRing.FromKeys(report.NewKey).Decrypt(credential.Secret!, credential.AssociatedData()).ShouldBe(keys[credential.Id]);
    }

    [Fact]
    public async Task rotation_refuses_to_start_when_a_credential_is_under_a_key_it_does_not_have()
    {
        await AddCredentials(("claude-code", "a"));
        var stranger = CredentialKeyRing.FromKeys(EncryptionKey.Generate());
        var hostKeyId = HostKeys.Current.Id;

        var error = await Should.ThrowAsync<MissingEncryptionKeyException>(() => EncryptionKeyRotation.RotateAsync(Store, stranger, TimeProvider.System, CancellationToken.None));
        error.KeyId.ShouldBe(hostKeyId);
        (await Stored()).Single().Secret!.KeyId.ShouldBe(hostKeyId);
    }

    [Fact]
    public async Task the_host_checks_its_keys_at_start_up()
    {
        Host.Services.GetServices<IHostedService>().OfType<EncryptionKeyCheck>().Count().ShouldBe(1);
        await AddCredentials(("claude-code", "a"), ("aider", "b"));
        var stranger = CredentialKeyRing.FromKeys(EncryptionKey.Generate());
        var check = new EncryptionKeyCheck(Store, stranger, NullLogger<EncryptionKeyCheck>.Instance);
        var error = await Should.ThrowAsync<MissingEncryptionKeyException>(() => check.StartAsync(CancellationToken.None));
        error.Message.ShouldContain($"2 stored agent credentials are encrypted with key id {HostKeys.Current.Id}");

        // Deleted credentials hold no key material and do not count.
        await using (var session = Store.LightweightSession())
        {
            foreach (var credential in await session.Query<UserAgentCredential>().ToListAsync())
                session.Store(DeleteAgentCredentialHandler.Erased(credential, DateTimeOffset.UtcNow));
            await session.SaveChangesAsync();
        }
        await check.StartAsync(CancellationToken.None);
    }
}
