using Microsoft.Extensions.Configuration;

namespace Catalyst.Contracts;

public static class CatalystPaths
{
    /// <summary>Where Catalyst keeps its files: CATALYST_DATA_DIR, else Catalyst:DataDirectory, else ~/.catalyst.</summary>
    public static string DataDirectory(IConfiguration configuration)
    {
        var configured = configuration["CATALYST_DATA_DIR"] ?? configuration["Catalyst:DataDirectory"];
        var dir = string.IsNullOrWhiteSpace(configured)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".catalyst")
            : configured;
        return Path.GetFullPath(dir);
    }
}
