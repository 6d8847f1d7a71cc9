using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Catalyst.Operator.Workspaces;

/// <summary>
/// Where a project's repository cache (a bare mirror that <c>runner/entrypoint.sh</c> fetches into and clones from) lives
/// under a cache directory: one per repository URL, named so that a person can tell which is which.
/// </summary>
public static partial class RepositoryCache
{
    /// <summary><c>&lt;directory&gt;/&lt;last part of the URL&gt;-&lt;16 hex of its SHA-256&gt;.git</c>; the URL's password, if any, never shows in the name.</summary>
    public static string PathFor(string directory, string repositoryUrl)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(repositoryUrl)))[..16];
        var last = repositoryUrl.TrimEnd('/').Split('/', ':', '@').LastOrDefault() ?? "";
        if (last.EndsWith(".git", StringComparison.OrdinalIgnoreCase)) last = last[..^4];
        var name = Unsafe().Replace(last, "-").Trim('-', '.');
        if (name.Length > 40) name = name[..40];
        return Path.Combine(directory, $"{(name.Length == 0 ? "repository" : name)}-{hash}.git");
    }

    [GeneratedRegex("[^A-Za-z0-9._-]+")]
    private static partial Regex Unsafe();
}
