using Microsoft.Extensions.Configuration;

namespace Catalyst.Contracts;

/// <summary>Where Catalyst keeps its files on this machine: the embedded database, the encryption key file, workspaces.</summary>
public static class CatalystPaths
{
    public static string DataDirectory(IConfiguration configuration)
    {
        var configured = configuration["CATALYST_DATA_DIR"] ?? configuration["Catalyst:DataDirectory"];
        var dir = string.IsNullOrWhiteSpace(configured)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".catalyst")
            : configured;
        return Path.GetFullPath(dir);
    }
}
