using System.Security.Cryptography;
using Catalyst.Credentials;
using Catalyst.Credentials.Encryption;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace Catalyst.Tests.Credentials;

public sealed class credential_encryption : IDisposable
{
    private const string Key = "sk-ant-api03-Zx9_qLm2VtY8wRk4Jh6Pd1Sa0Ne3Uc5Fb7Gi";
    private readonly string _directory = Directory.CreateTempSubdirectory("catalyst-keys-").FullName;
    private static readonly byte[] Aad = CredentialCipher.AssociatedData(Guid.NewGuid(), Guid.NewGuid());

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static byte[] Flipped(byte[] bytes, int index)
    {
        var copy = bytes.ToArray();
        copy[index] ^= 0x01;
        return copy;
    }

    [Fact]
    public void a_sealed_key_opens_to_the_same_text_and_holds_none_of_it()
    {
        var master = EncryptionKey.Generate();
        var sealedKey = CredentialCipher.Seal(master, Key, Aad);

        sealedKey.KeyId.ShouldBe(master.Id);
        sealedKey.Nonce.Length.ShouldBe(12);
        sealedKey.Tag.Length.ShouldBe(16);
        Convert.ToBase64String(sealedKey.Ciphertext).ShouldNotContain(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(Key))[..20]);
        System.Text.Encoding.UTF8.GetString(sealedKey.Ciphertext).ShouldNotContain("sk-ant");
        CredentialCipher.Open(master, sealedKey, Aad).ShouldBe(Key);
        CredentialCipher.Open(master, CredentialCipher.Seal(master, "clé-ünïcødé-🔑-1234", Aad), Aad).ShouldBe("clé-ünïcødé-🔑-1234");
    }

    [Fact]
    public void a_changed_ciphertext_nonce_tag_or_owner_is_refused()
    {
        var master = EncryptionKey.Generate();
        var s = CredentialCipher.Seal(master, Key, Aad);

        Should.Throw<CryptographicException>(() => CredentialCipher.Open(master, s with { Ciphertext = Flipped(s.Ciphertext, 3) }, Aad));
        Should.Throw<CryptographicException>(() => CredentialCipher.Open(master, s with { Nonce = Flipped(s.Nonce, 0) }, Aad));
        Should.Throw<CryptographicException>(() => CredentialCipher.Open(master, s with { Tag = Flipped(s.Tag, 15) }, Aad));
        Should.Throw<CryptographicException>(() => CredentialCipher.Open(master, s with { Nonce = s.Nonce[..8] }, Aad));
        // Copied into another person's credential, it no longer opens.
        Should.Throw<CryptographicException>(() => CredentialCipher.Open(master, s, CredentialCipher.AssociatedData(Guid.NewGuid(), Guid.NewGuid())));
        // Another master key, even one claiming the same id, cannot open it.
        Should.Throw<CryptographicException>(() => CredentialCipher.Open(EncryptionKey.Generate(), s, Aad));
        CredentialCipher.Open(master, s, Aad).ShouldBe(Key);
    }

    [Fact]
    public void every_encryption_uses_a_fresh_nonce()
    {
        var master = EncryptionKey.Generate();
        var sealedKeys = Enumerable.Range(0, 50).Select(_ => CredentialCipher.Seal(master, Key, Aad)).ToList();
        sealedKeys.Select(s => Convert.ToHexString(s.Nonce)).Distinct().Count().ShouldBe(50);
        sealedKeys.Select(s => Convert.ToHexString(s.Ciphertext)).Distinct().Count().ShouldBe(50);
        sealedKeys.ShouldAllBe(s => CredentialCipher.Open(master, s, Aad) == Key);
    }

    [Fact]
    public void without_configuration_a_key_file_is_generated_once_readable_by_its_owner_only()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["CATALYST_DATA_DIR"] = _directory }).Build();
        var first = new CredentialKeyRing(configuration, NullLogger<CredentialKeyRing>.Instance);
        var file = Path.Combine(_directory, CredentialKeyRing.DefaultKeyFileName);

        first.KeyFile.ShouldBe(file);
        File.Exists(file).ShouldBeTrue();
        if (!OperatingSystem.IsWindows()) File.GetUnixFileMode(file).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var again = new CredentialKeyRing(configuration, NullLogger<CredentialKeyRing>.Instance);
        again.Current.Id.ShouldBe(first.Current.Id);
        again.Decrypt(first.Encrypt(Key, Aad), Aad).ShouldBe(Key);
    }

    [Fact]
    public void keys_from_configuration_are_used_first_one_current()
    {
        var older = EncryptionKey.Generate();
        var newer = EncryptionKey.Generate();
        var sealedByOlder = CredentialCipher.Seal(older, Key, Aad);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [CredentialKeyRing.KeyConfigurationKey] = $"{newer.ToBase64()},{older.ToBase64()}",
            ["CATALYST_DATA_DIR"] = _directory,
        }).Build();

        var ring = new CredentialKeyRing(configuration, NullLogger<CredentialKeyRing>.Instance);
        ring.KeyFile.ShouldBeNull();
        ring.Current.Id.ShouldBe(newer.Id);
        ring.Encrypt(Key, Aad).KeyId.ShouldBe(newer.Id);
        ring.Decrypt(sealedByOlder, Aad).ShouldBe(Key);
        File.Exists(Path.Combine(_directory, CredentialKeyRing.DefaultKeyFileName)).ShouldBeFalse();

        var unknown = CredentialCipher.Seal(EncryptionKey.Generate(), Key, Aad);
        Should.Throw<MissingEncryptionKeyException>(() => ring.Decrypt(unknown, Aad)).KeyId.ShouldBe(unknown.KeyId);
    }

    [Theory]
    [InlineData("not base64 at all!", "not base64")]
    [InlineData("c2hvcnQ=", "holds a key of 5 bytes")]
    public void a_wrong_configured_key_is_explained(string value, string message)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [CredentialKeyRing.KeyConfigurationKey] = value }).Build();
        Should.Throw<InvalidOperationException>(() => new CredentialKeyRing(configuration, NullLogger<CredentialKeyRing>.Instance))
            .Message.ShouldSatisfyAllConditions(m => m.ShouldContain(message), m => m.ShouldContain(CredentialKeyRing.KeyConfigurationKey));
    }

    [Fact]
    public void a_ring_reads_its_key_file_again_when_another_process_rotates_it()
    {
        var file = Path.Combine(_directory, "keys");
        var running = CredentialKeyRing.FromFile(file);
        var admin = CredentialKeyRing.FromFile(file);
        var next = EncryptionKey.Generate();
        admin.WriteKeyFile([next, .. admin.Keys]);

        running.Current.Id.ShouldBe(next.Id);
        running.Decrypt(CredentialCipher.Seal(next, Key, Aad), Aad).ShouldBe(Key);
    }

    [Fact]
    public void the_masked_hint_shows_the_first_few_and_last_four_characters_only()
    {
        CredentialInput.Mask(Key).ShouldBe("sk-ant…b7Gi");
        CredentialInput.Mask("abcdefghijklmnop").ShouldBe("abc…mnop");
        CredentialInput.Mask("short-key").ShouldBe("••••");
        CredentialInput.Redact($"bad key {Key}!", Key).ShouldBe($"bad key {CredentialInput.Mask(Key)}!");
    }
}
