using Catalyst.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Catalyst.Credentials.Encryption;

/// <summary>A stored credential names a master key that this process does not have.</summary>
public sealed class MissingEncryptionKeyException(string keyId, string message) : Exception(message)
{
    public string KeyId { get; } = keyId;
}

/// <summary>
/// The master keys that seal users' credentials. The first key encrypts; every key decrypts what it sealed, so
/// that `admin rotate-key` can move credentials from one key to the next. Keys come from, in this order:
/// <list type="bullet">
/// <item><c>Catalyst:EncryptionKey</c> (env <c>Catalyst__EncryptionKey</c>): one or more base64 keys separated by commas, the first current;</item>
/// <item><c>Catalyst:EncryptionKeyFile</c>: a file with one base64 key a line, the first current;</item>
/// <item>otherwise the file <c>encryption-keys</c> in the data directory, generated on first start with mode 0600.</item>
/// </list>
/// A key file is read again when it changes, so a running host picks up a rotation.
/// </summary>
public sealed class CredentialKeyRing
{
    public const string KeyConfigurationKey = "Catalyst:EncryptionKey";
    public const string KeyFileConfigurationKey = "Catalyst:EncryptionKeyFile";
    public const string DefaultKeyFileName = "encryption-keys";

    private const string FileHeader =
        "# Catalyst credential encryption keys: AES-256, base64, one a line. Keep this file secret and backed up.\n" +
        "# The first key encrypts; every key listed decrypts. `admin rotate-key` puts a new key first.\n";

    private readonly object _gate = new();
    private readonly ILogger _logger;
    private IReadOnlyList<EncryptionKey> _keys;
    private (DateTime Written, long Length) _stamp;

    public CredentialKeyRing(IConfiguration configuration, ILogger<CredentialKeyRing> logger)
    {
        _logger = logger;
        var configured = configuration[KeyConfigurationKey];
        if (!string.IsNullOrWhiteSpace(configured))
        {
            Source = KeyConfigurationKey;
            _keys = ParseList(configured, KeyConfigurationKey);
            if (!string.IsNullOrWhiteSpace(configuration[KeyFileConfigurationKey]))
                logger.LogWarning("Both {Key} and {File} are set; the keys of {Key} are used and the file is ignored", KeyConfigurationKey, KeyFileConfigurationKey, KeyConfigurationKey);
            return;
        }

        var file = configuration[KeyFileConfigurationKey];
        KeyFile = Path.GetFullPath(string.IsNullOrWhiteSpace(file)
            ? Path.Combine(CatalystPaths.DataDirectory(configuration), DefaultKeyFileName)
            : file);
        Source = KeyFile;
        _keys = LoadOrCreateFile(KeyFile);
    }

    private CredentialKeyRing(IReadOnlyList<EncryptionKey> keys, string? keyFile, ILogger logger)
    {
        _keys = keys;
        KeyFile = keyFile;
        Source = keyFile ?? "keys given in code";
        _logger = logger;
        if (keyFile is not null) _stamp = Stamp(keyFile);
    }

    public static CredentialKeyRing FromKeys(params EncryptionKey[] keys) =>
        keys.Length > 0 ? new CredentialKeyRing(keys, null, NullLogger.Instance) : throw new ArgumentException("A key ring needs at least one key.", nameof(keys));

    /// <summary>The key file at <paramref name="path"/>, generated when it does not exist yet.</summary>
    public static CredentialKeyRing FromFile(string path, ILogger? logger = null)
    {
        var full = Path.GetFullPath(path);
        var ring = new CredentialKeyRing([], full, logger ?? NullLogger.Instance);
        ring._keys = ring.LoadOrCreateFile(full);
        return ring;
    }

    /// <summary>Where the keys come from: the key file's path, or the configuration key.</summary>
    public string Source { get; }

    /// <summary>The key file, when the keys are kept in one (null when they come from configuration).</summary>
    public string? KeyFile { get; }

    public IReadOnlyList<EncryptionKey> Keys
    {
        get
        {
            if (KeyFile is not null) ReloadIfChanged();
            return _keys;
        }
    }

    public EncryptionKey Current => Keys[0];

    public bool Has(string keyId) => Find(keyId) is not null;

    public EncryptedSecret Encrypt(string plaintext, byte[] associatedData) => CredentialCipher.Seal(Current, plaintext, associatedData);

    public string Decrypt(EncryptedSecret secret, byte[] associatedData)
    {
        var key = Find(secret.KeyId) ?? throw Missing(secret.KeyId, 1);
        return CredentialCipher.Open(key, secret, associatedData);
    }

    public MissingEncryptionKeyException Missing(string keyId, int credentials) => new(keyId,
        $"{credentials} stored agent credential{(credentials == 1 ? " is" : "s are")} encrypted with key id {keyId}, which is not among the configured " +
        $"encryption keys ({string.Join(", ", Keys.Select(k => k.Id))}, from {Source}). Put the key with id {keyId} back " +
        $"({KeyConfigurationKey}, {KeyFileConfigurationKey} or the key file in the data directory) and start again; " +
        "remove an old key only after `admin rotate-key` has moved every credential off it.");

    /// <summary>Writes <paramref name="keys"/> to the key file (first one current), replacing it atomically, readable by this user only.</summary>
    public void WriteKeyFile(IReadOnlyList<EncryptionKey> keys, string? note = null)
    {
        if (KeyFile is null) throw new InvalidOperationException($"The keys come from {Source}, not from a file.");
        if (keys.Count == 0) throw new ArgumentException("A key file needs at least one key.", nameof(keys));
        var text = FileHeader + (note is null ? "" : $"# {note}\n") + string.Join("\n", keys.Select(k => k.ToBase64())) + "\n";
        var temporary = KeyFile + $".{Guid.NewGuid():N}.tmp";
        WritePrivate(temporary, text, FileMode.CreateNew);
        File.Move(temporary, KeyFile, overwrite: true);
        lock (_gate)
        {
            _keys = [.. keys];
            _stamp = Stamp(KeyFile);
        }
    }

    /// <summary>For keys from configuration, which this process cannot write: use these keys until it restarts.</summary>
    public void UseInMemory(IReadOnlyList<EncryptionKey> keys)
    {
        if (keys.Count == 0) throw new ArgumentException("A key ring needs at least one key.", nameof(keys));
        lock (_gate) _keys = [.. keys];
    }

    private EncryptionKey? Find(string keyId)
    {
        var key = Keys.FirstOrDefault(k => k.Id == keyId);
        if (key is null && KeyFile is not null)
        {
            // A rotation may have written the file within the file system's timestamp resolution.
            lock (_gate) Reload(KeyFile);
            key = _keys.FirstOrDefault(k => k.Id == keyId);
        }
        return key;
    }

    private void ReloadIfChanged()
    {
        var path = KeyFile!;
        if (!File.Exists(path) || Stamp(path) == _stamp) return;
        lock (_gate)
        {
            if (Stamp(path) != _stamp) Reload(path);
        }
    }

    private void Reload(string path)
    {
        if (!File.Exists(path)) return;
        _keys = ReadFile(path);
        _stamp = Stamp(path);
        _logger.LogInformation("Credential encryption keys reloaded from {KeyFile}; current key {KeyId}", path, _keys[0].Id);
    }

    private IReadOnlyList<EncryptionKey> LoadOrCreateFile(string path)
    {
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var key = EncryptionKey.Generate();
            try
            {
                WritePrivate(path, FileHeader + key.ToBase64() + "\n", FileMode.CreateNew);
                _logger.LogInformation("Generated a credential encryption key {KeyId} in {KeyFile}; back this file up", key.Id, path);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process generated it first: use theirs.
            }
        }
        else if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
        {
            _logger.LogWarning("The encryption key file {KeyFile} can be read or written by other users; make it private with chmod 600", path);
        }
        _stamp = Stamp(path);
        return ReadFile(path);
    }

    private static IReadOnlyList<EncryptionKey> ReadFile(string path)
    {
        var keys = new List<EncryptionKey>();
        var lines = File.ReadAllLines(path);
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            keys.Add(EncryptionKey.FromBase64(line, $"The key file {path} (line {i + 1})"));
        }
        return keys.Count > 0 ? keys : throw new InvalidOperationException($"The key file {path} holds no key. Restore it from a backup, or delete it to have a new key generated (credentials sealed with the old key are then lost).");
    }

    private static IReadOnlyList<EncryptionKey> ParseList(string value, string source)
    {
        var parts = value.Split([',', ';', ' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries);
        return parts.Select((p, i) => EncryptionKey.FromBase64(p, parts.Length == 1 ? source : $"{source} (key {i + 1})")).ToList();
    }

    private static void WritePrivate(string path, string text, FileMode mode)
    {
        var options = new FileStreamOptions { Mode = mode, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(path, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(text);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }
    }

    private static (DateTime, long) Stamp(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? (info.LastWriteTimeUtc, info.Length) : default;
    }
}
