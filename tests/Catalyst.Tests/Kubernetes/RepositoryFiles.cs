namespace Catalyst.Tests.Kubernetes;

/// <summary>Files of this checkout (deploy/, runner/), found from the test's output directory.</summary>
public static class RepositoryFiles
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(string relative) => Path.Combine(Root, relative);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Catalyst.sln"))) return dir.FullName;
        throw new InvalidOperationException($"No Catalyst.sln above {AppContext.BaseDirectory}.");
    }
}
