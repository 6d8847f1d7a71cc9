using Catalyst.Contracts;
using Catalyst.Credentials.Encryption;

namespace Catalyst.Host;

/// <summary>
/// Sets the modes of the data directory at every start, so that a workspace running as another user cannot read what
/// the Host keeps there. The embedded database's directory is made 0700 by the cluster itself (the tests' throwaway one too).
/// </summary>
public static class PrivateDataDirectory
{
    /// <summary>Traversable, not listable: a sandboxed workspace reaches its own bind-mount sources by exact path and nothing else.</summary>
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                                              | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    public const UnixFileMode KeyFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static void Apply(IConfiguration configuration)
    {
        if (OperatingSystem.IsWindows()) return;
        var directory = CatalystPaths.DataDirectory(configuration);
        if (!Directory.Exists(directory)) Directory.CreateDirectory(directory, DirectoryMode);
        var mode = File.GetUnixFileMode(directory);
        if (mode.HasFlag(UnixFileMode.StickyBit))
        {
            // /tmp or another shared directory named as the data directory: changing its mode would break the machine.
            Console.Error.WriteLine($"warning: the data directory {directory} is a shared directory (sticky bit); its mode is left as it is. Point CATALYST_DATA_DIR at a directory of its own.");
        }
        else if (mode != DirectoryMode)
        {
            File.SetUnixFileMode(directory, DirectoryMode);
        }

        // The key file: the default one in the data directory, or the one configured elsewhere. Created 0600; an older or
        // hand-copied one may be looser.
        var configuredKeyFile = configuration[CredentialKeyRing.KeyFileConfigurationKey];
        var keyFile = Path.GetFullPath(string.IsNullOrWhiteSpace(configuredKeyFile)
            ? Path.Combine(directory, CredentialKeyRing.DefaultKeyFileName)
            : configuredKeyFile);
        if (File.Exists(keyFile) && (File.GetUnixFileMode(keyFile) & ~KeyFileMode) != 0) File.SetUnixFileMode(keyFile, KeyFileMode);
    }
}
