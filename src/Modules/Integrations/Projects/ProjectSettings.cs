using System.Text.RegularExpressions;
using Catalyst.Contracts;

namespace Catalyst.Integrations.Projects;

/// <summary>The fields a person fills in for a project, and what makes them valid. Shared by create and edit.</summary>
public sealed partial record ProjectSettings(
    string Name,
    string Slug,
    string RepositoryUrl,
    string? DefaultBranch = "main",
    string? GitHubRepository = null,
    int TimeoutSeconds = ProjectLimits.DefaultTimeoutSeconds,
    int MaxConcurrentTasks = 2)
{
    public const int MaxTimeoutSeconds = 24 * 3600;
    public const int MaxHooks = 20;
    public const int MaxHookLength = 2000;
    private static readonly HashSet<string> ReservedSlugs = ["new", "edit", "settings", "api", "admin"];

    [GeneratedRegex("^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$")]
    private static partial Regex SlugPattern();

    [GeneratedRegex(@"^[A-Za-z0-9._/-]+$")]
    private static partial Regex BranchPattern();

    [GeneratedRegex(@"^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$")]
    private static partial Regex GitHubPattern();

    /// <summary>The slug suggested for a name (the form's script makes the same one as the name is typed): "Café Billing" is cafe-billing.</summary>
    public static string SlugFrom(string? name)
    {
        var plain = new string((name ?? "").Normalize(System.Text.NormalizationForm.FormKD)
            .Where(c => System.Globalization.CharUnicodeInfo.GetUnicodeCategory(c) != System.Globalization.UnicodeCategory.NonSpacingMark).ToArray());
        var slug = NotSlug().Replace(plain.ToLowerInvariant(), "-").Trim('-');
        return slug.Length > 50 ? slug[..50].TrimEnd('-') : slug;
    }

    [GeneratedRegex("[^a-z0-9]+")]
    private static partial Regex NotSlug();

    /// <summary>One answer for a slug that is reserved and one that a project (anyone's) has: the form never tells that another user's project exists.</summary>
    public static string SlugNotAvailable(string slug) => $"The slug “{slug}” is not available; choose another.";

    public string Branch => string.IsNullOrWhiteSpace(DefaultBranch) ? "main" : DefaultBranch.Trim();

    /// <summary>Shell commands run in the clone before the agent, one per entry; blank entries are dropped.</summary>
    public IReadOnlyList<string> PreHooks { get; init; } = [];

    /// <summary>Shell commands run in the clone after the agent exits.</summary>
    public IReadOnlyList<string> PostHooks { get; init; } = [];

    public ProjectHooks Hooks => new(Commands(PreHooks), Commands(PostHooks));

    /// <summary>Hosts the workspaces may reach through the egress proxy, one per entry (host, host:port, *.domain, an IP written out).</summary>
    public IReadOnlyList<string> AllowedHosts { get; init; } = [];

    public int? MemoryMiB { get; init; }
    public double? Cpus { get; init; }
    public int? Processes { get; init; }

    public ProjectSandbox Sandbox => new(Commands(AllowedHosts).Select(h => h.ToLowerInvariant()).Distinct().ToArray(), MemoryMiB, Cpus, Processes);

    /// <summary>Per task, through the broker: tokens (input + output + cache) and/or US dollars; null: no limit.</summary>
    public long? TaskBudgetTokens { get; init; }

    public decimal? TaskBudgetUsd { get; init; }

    public TaskBudget TaskBudget => new(TaskBudgetTokens, TaskBudgetUsd);

    private static string[] Commands(IReadOnlyList<string>? commands) =>
        (commands ?? []).Select(c => c?.Trim() ?? "").Where(c => c.Length > 0).ToArray();

    /// <summary>Every rule, including where a local repository may be: create and edit, from the page or MCP, come through here.</summary>
    public IReadOnlyList<CommandError> Validate(LocalRepositoryRoots localRepositories)
    {
        var errors = new List<CommandError>();
        // Characters no field takes, before any other rule reads the text.
        foreach (var error in new[]
                 {
                     TextInput.Check(nameof(Name), "The name", Name, int.MaxValue),
                     TextInput.Check(nameof(RepositoryUrl), "The repository", RepositoryUrl, MaxRepositoryUrlLength),
                     TextInput.Check(nameof(DefaultBranch), "The default branch", DefaultBranch, MaxBranchLength),
                     TextInput.Check(nameof(GitHubRepository), "The GitHub repository", GitHubRepository, 140),
                 }.OfType<CommandError>())
            errors.Add(error);
        if (errors.Count > 0) return errors;

        if (string.IsNullOrWhiteSpace(Name)) errors.Add(new(nameof(Name), "Give the project a name."));
        else if (Name.Trim().Length > 100) errors.Add(new(nameof(Name), "Keep the name under 100 characters."));

        if (string.IsNullOrWhiteSpace(Slug) || !SlugPattern().IsMatch(Slug))
            errors.Add(new(nameof(Slug), "The slug is what appears in URLs: 1 to 50 lowercase letters, digits and dashes, not starting or ending with a dash (e.g. my-service)."));
        else if (ReservedSlugs.Contains(Slug))
            errors.Add(new(nameof(Slug), SlugNotAvailable(Slug)));

        if (!IsRepository(RepositoryUrl))
            errors.Add(new(nameof(RepositoryUrl), "Enter a git repository: https://host/owner/repo.git, git@host:owner/repo.git, ssh://…, file:///path or an absolute local path."));
        else if (localRepositories.Refusal(RepositoryUrl) is { } refusal)
            errors.Add(new(nameof(RepositoryUrl), refusal));

        if (!IsBranchName(Branch))
            errors.Add(new(nameof(DefaultBranch), "Enter a branch name such as main: letters, digits and . _ / -, not starting with a dash, a dot or a slash."));

        if (!string.IsNullOrWhiteSpace(GitHubRepository) && !GitHubPattern().IsMatch(GitHubRepository.Trim()))
            errors.Add(new(nameof(GitHubRepository), "Enter the GitHub repository as owner/name, or leave it empty."));

        if (TimeoutSeconds is < 5 or > MaxTimeoutSeconds)
            errors.Add(new(nameof(TimeoutSeconds), $"The task timeout must be between 5 and {MaxTimeoutSeconds} seconds."));
        if (MaxConcurrentTasks is < 1 or > 100)
            errors.Add(new(nameof(MaxConcurrentTasks), "Concurrent tasks must be between 1 and 100."));

        var hostErrors = new List<string>();
        EgressAllowList.Parse(Sandbox.AllowedHosts, hostErrors);
        if (hostErrors.Count > 0) errors.Add(new(nameof(AllowedHosts), "Allowed hosts: " + string.Join(" ", hostErrors)));
        else if (Sandbox.AllowedHosts.Count > 100) errors.Add(new(nameof(AllowedHosts), "Allowed hosts: at most 100 entries."));
        if (MemoryMiB is < 128 or > 1_048_576) errors.Add(new(nameof(MemoryMiB), "Workspace memory must be between 128 and 1,048,576 MiB, or empty for the default."));
        if (Cpus is < 0.1 or > 256) errors.Add(new(nameof(Cpus), "Workspace CPUs must be between 0.1 and 256, or empty for no limit."));
        if (Processes is < 16 or > 100_000) errors.Add(new(nameof(Processes), "Workspace processes must be between 16 and 100,000, or empty for the default."));

        if (TaskBudgetTokens is <= 0) errors.Add(new(nameof(TaskBudgetTokens), "Enter a number of tokens above zero, or leave it empty for no limit."));
        if (TaskBudgetUsd is <= 0) errors.Add(new(nameof(TaskBudgetUsd), "Enter an amount in US dollars above zero, or leave it empty for no limit."));
        ValidateHooks(errors, nameof(PreHooks), "Pre-hook", Hooks.Pre);
        ValidateHooks(errors, nameof(PostHooks), "Post-hook", Hooks.Post);
        return errors;
    }

    private static void ValidateHooks(List<CommandError> errors, string field, string name, IReadOnlyList<string> commands)
    {
        if (commands.Count > MaxHooks)
        {
            errors.Add(new(field, $"{name}s: at most {MaxHooks} commands, one per line ({commands.Count} given)."));
            return;
        }
        for (var i = 0; i < commands.Count; i++)
        {
            var command = commands[i];
            if (command.Length > MaxHookLength)
            {
                errors.Add(new(field, $"{name} {i + 1} is {command.Length:N0} characters long; keep each command under {MaxHookLength:N0} characters."));
                return;
            }
            // A tab is blank space to bash; any other control character (NUL, a newline inside an entry, escape) is a mistake.
            if (command.Any(c => c != '\t' && (char.IsControl(c) || c == '\u2028' || c == '\u2029')))
            {
                errors.Add(new(field, $"{name} {i + 1} contains a control character; write each command on one line, as plain text."));
                return;
            }
        }
    }

    public const int MaxBranchLength = 200;
    public const int MaxRepositoryUrlLength = 2000;

    /// <summary>A name git takes as a branch (git check-ref-format), and that no git command can read as an option (no leading dash).</summary>
    public static bool IsBranchName(string branch) =>
        branch.Length <= MaxBranchLength && BranchPattern().IsMatch(branch)
        && !branch.StartsWith('-') && !branch.StartsWith('.') && !branch.StartsWith('/') && !branch.EndsWith('/') && !branch.EndsWith('.')
        && !branch.Contains("..") && !branch.Contains("//") && !branch.Contains("/.") && !branch.Contains("/-")
        && !branch.EndsWith(".lock", StringComparison.Ordinal) && branch != "HEAD";

    public static bool IsRepository(string? url)
    {
        if (string.IsNullOrWhiteSpace(url)) return false;
        url = url.Trim();
        if (url.StartsWith('/')) return true;
        if (Regex.IsMatch(url, @"^[\w.-]+@[\w.-]+:[\w./~-]+$")) return true;
        return Uri.TryCreate(url, UriKind.Absolute, out var uri)
               && uri.Scheme is "https" or "http" or "ssh" or "git" or "file"
               && (uri.Scheme == "file" ? uri.AbsolutePath.Length > 1 : !string.IsNullOrEmpty(uri.Host) && uri.AbsolutePath.Length > 1);
    }
}
