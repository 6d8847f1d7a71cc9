using Catalyst.Contracts;
using Microsoft.Extensions.Configuration;

namespace Catalyst.Integrations.Projects;

/// <summary>
/// The directories of the server's disk a project's repository may be in. Without this rule anyone could name another
/// person's repository, or any directory the Host can read, by its path or a file:// URL and have an agent read it.
/// Remote URLs are not concerned.
/// </summary>
public sealed class LocalRepositoryRoots
{
    public const string ConfigurationKey = "Catalyst:Projects:LocalRepositoryRoots";
    public const string EnvironmentVariable = "Catalyst__Projects__LocalRepositoryRoots";

    private readonly IReadOnlyList<string> _listed;
    private readonly string? _embeddedRepositories;
    private readonly IReadOnlyList<string> _canonical;

    public LocalRepositoryRoots(IConfiguration configuration) : this(
        Split(configuration[ConfigurationKey]),
        // The single-user default (embedded database, nothing configured) may keep its repositories beside its data.
        string.IsNullOrWhiteSpace(configuration.GetConnectionString("Catalyst"))
            ? Path.Combine(CatalystPaths.DataDirectory(configuration), "repos")
            : null)
    {
    }

    /// <summary>For code and tests that have no configuration at hand.</summary>
    public static LocalRepositoryRoots Of(IEnumerable<string> listed, string? embeddedRepositories = null) => new(listed, embeddedRepositories);

    // One public constructor, so that the container knows which to use.
    private LocalRepositoryRoots(IEnumerable<string> listed, string? embeddedRepositories)
    {
        _listed = listed.Where(Path.IsPathFullyQualified).Select(Path.GetFullPath).ToList();
        _embeddedRepositories = embeddedRepositories;
        _canonical = _listed.Append(embeddedRepositories).OfType<string>().Select(Canonical).OfType<string>().ToList();
    }

    /// <summary>Why this repository cannot be used here, or null when it can.</summary>
    public string? Refusal(string repositoryUrl)
    {
        var url = repositoryUrl.Trim();
        if (LocalPath(url) is not { } path) return null;
        var canonical = Canonical(path);
        if (canonical is not null && _canonical.Any(root => IsUnder(canonical, root))) return null;

        var listed = _listed.Count == 0 ? "none is set" : $"it lists {string.Join(", ", _listed)}";
        var where = $"a directory listed in {EnvironmentVariable} ({listed})";
        if (_embeddedRepositories is not null) where = $"{_embeddedRepositories} or {where}";
        return $"Local repositories are not allowed here: {url} is not under {where}. " +
               "Ask an admin to add its parent directory, or use an https:// or ssh:// URL.";
    }

    /// <summary>The path git will open for this URL, or null for a remote one.</summary>
    public static string? LocalPath(string url)
    {
        if (url.StartsWith('/')) return url;
        if (!url.StartsWith("file://", StringComparison.OrdinalIgnoreCase)) return null;
        // As git reads it: %-escapes decoded, whatever stands in the host's place ignored.
        var rest = Uri.UnescapeDataString(url["file://".Length..]);
        var slash = rest.IndexOf('/');
        return slash < 0 ? "/" : rest[slash..];
    }

    private static bool IsUnder(string path, string root) =>
        path == root || path.StartsWith(root.EndsWith('/') ? root : root + "/", StringComparison.Ordinal);

    /// <summary>
    /// The path the kernel reaches, one component at a time: a symbolic link is replaced by its target before a later
    /// <c>..</c> applies, as when git opens it. Components that do not exist (yet) are taken as written. Null for a loop.
    /// </summary>
    public static string? Canonical(string path)
    {
        var pending = new LinkedList<string>(path.Split('/', StringSplitOptions.RemoveEmptyEntries));
        var resolved = "/";
        var links = 0;
        while (pending.First is { } first)
        {
            var name = first.Value;
            pending.RemoveFirst();
            if (name == ".") continue;
            if (name == "..")
            {
                resolved = Path.GetDirectoryName(resolved) ?? "/";
                continue;
            }
            var next = Path.Join(resolved, name);
            if (LinkTarget(next) is { } target)
            {
                if (++links > 40) return null;
                foreach (var part in target.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse()) pending.AddFirst(part);
                if (target.StartsWith('/')) resolved = "/";
                continue;
            }
            resolved = next;
        }
        return resolved;
    }

    private static string? LinkTarget(string path)
    {
        try { return new FileInfo(path).LinkTarget; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    private static IEnumerable<string> Split(string? value) =>
        (value ?? "").Split([':', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
