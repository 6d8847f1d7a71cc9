using System.Security.Cryptography;
using System.Text;

namespace Catalyst.Credentials.Encryption;

/// <summary>A key sealed with AES-256-GCM: the id of the master key that sealed it, the ciphertext, the 96-bit nonce and the 128-bit tag.</summary>
public sealed record EncryptedSecret(string KeyId, byte[] Ciphertext, byte[] Nonce, byte[] Tag);

/// <summary>One master key: 32 random bytes, named by an id derived from the key itself so that ids and keys cannot get mixed up.</summary>
public sealed class EncryptionKey
{
    public const int Size = 32;

    private EncryptionKey(byte[] material)
    {
        Material = material;
        Id = "k" + Convert.ToHexStringLower(SHA256.HashData([.. "catalyst/credential-key-id/v1:"u8, .. material]))[..16];
    }

    public string Id { get; }
    internal byte[] Material { get; }

    public string ToBase64() => Convert.ToBase64String(Material);

    public static EncryptionKey Generate() => new(RandomNumberGenerator.GetBytes(Size));

    public static EncryptionKey FromBytes(byte[] material) =>
        material.Length == Size ? new EncryptionKey([.. material])
            : throw new InvalidOperationException($"An encryption key must be {Size} bytes; this one has {material.Length}.");

    /// <summary>A key as written in configuration or the key file; <paramref name="source"/> names where it came from for the error message.</summary>
    public static EncryptionKey FromBase64(string text, string source)
    {
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(text.Trim());
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"{source} holds a value that is not base64. An encryption key is {Size} random bytes in base64, e.g. the output of `openssl rand -base64 32`.");
        }
        if (bytes.Length != Size)
            throw new InvalidOperationException($"{source} holds a key of {bytes.Length} bytes; an encryption key is {Size} random bytes in base64, e.g. the output of `openssl rand -base64 32`.");
        return new EncryptionKey(bytes);
    }

    public override string ToString() => $"EncryptionKey {Id}";
}

/// <summary>AES-256-GCM with a fresh random nonce for every encryption, bound to the credential by associated data.</summary>
public static class CredentialCipher
{
    public const int NonceSize = 12;
    public const int TagSize = 16;

    /// <summary>Ties a ciphertext to its credential and owner: copied into another credential's record, it no longer decrypts.</summary>
    public static byte[] AssociatedData(Guid credentialId, Guid ownerId) =>
        Encoding.UTF8.GetBytes($"catalyst/user-agent-credential/v1:{credentialId:N}:{ownerId:N}");

    public static EncryptedSecret Seal(EncryptionKey key, string plaintext, ReadOnlySpan<byte> associatedData)
    {
        var nonce = RandomNumberGenerator.GetBytes(NonceSize);
        var clear = Encoding.UTF8.GetBytes(plaintext);
        var ciphertext = new byte[clear.Length];
        var tag = new byte[TagSize];
        try
        {
            using var aes = new AesGcm(key.Material, TagSize);
            aes.Encrypt(nonce, clear, ciphertext, tag, associatedData);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(clear);
        }
        return new EncryptedSecret(key.Id, ciphertext, nonce, tag);
    }

    /// <summary>The plaintext; a <see cref="CryptographicException"/> when the ciphertext, nonce, tag or associated data were changed.</summary>
    public static string Open(EncryptionKey key, EncryptedSecret secret, ReadOnlySpan<byte> associatedData)
    {
        if (secret.KeyId != key.Id) throw new CryptographicException($"The secret was sealed with key {secret.KeyId}, not {key.Id}.");
        if (secret.Nonce.Length != NonceSize || secret.Tag.Length != TagSize)
            throw new CryptographicException("The sealed secret's nonce or tag has the wrong length.");
        var clear = new byte[secret.Ciphertext.Length];
        try
        {
            using var aes = new AesGcm(key.Material, TagSize);
            aes.Decrypt(secret.Nonce, secret.Ciphertext, secret.Tag, clear, associatedData);
            return Encoding.UTF8.GetString(clear);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(clear);
        }
    }
}
