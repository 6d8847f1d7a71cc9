using Catalyst.Integrations.Projects;

namespace Catalyst.Integrations.Pages.Projects;

/// <summary>What the new and edit forms bind; field names match <see cref="ProjectSettings"/> so errors land beside their field.</summary>
public sealed class ProjectForm
{
    public string Name { get; set; } = "";
    public string Slug { get; set; } = "";
    public string RepositoryUrl { get; set; } = "";
    public string? DefaultBranch { get; set; } = "main";
    public string? GitHubRepository { get; set; }
    // Nullable so that an emptied field reaches the project rules, which say once, in words, what to enter.
    public int? TimeoutSeconds { get; set; } = ProjectLimits.DefaultTimeoutSeconds;
    public int? MaxConcurrentTasks { get; set; } = 2;
    public bool SlugEditable { get; set; } = true;

    /// <summary>One shell command per line.</summary>
    public string? PreHooks { get; set; }

    public string? PostHooks { get; set; }

    /// <summary>One host per line.</summary>
    public string? AllowedHosts { get; set; }

    public int? MemoryMiB { get; set; }
    public double? Cpus { get; set; }
    public int? Processes { get; set; }
    public long? TaskBudgetTokens { get; set; }

    public decimal? TaskBudgetUsd { get; set; }

    public ProjectSettings ToSettings() => new(Name ?? "", Slug ?? "", RepositoryUrl ?? "", DefaultBranch, GitHubRepository, TimeoutSeconds ?? 0, MaxConcurrentTasks ?? 0)
    {
        PreHooks = Lines(PreHooks),
        PostHooks = Lines(PostHooks),
        AllowedHosts = Lines(AllowedHosts),
        MemoryMiB = MemoryMiB,
        Cpus = Cpus,
        Processes = Processes,
        TaskBudgetTokens = TaskBudgetTokens,
        TaskBudgetUsd = TaskBudgetUsd,
    };

    private static string[] Lines(string? text) => (text ?? "").Split(["\r\n", "\n", "\r"], StringSplitOptions.None);

    public static ProjectForm From(ProjectView p) => new()
    {
        Name = p.Name, Slug = p.Slug, RepositoryUrl = p.RepositoryUrl, DefaultBranch = p.DefaultBranch,
        GitHubRepository = p.GitHubRepository, TimeoutSeconds = p.TimeoutSeconds, MaxConcurrentTasks = p.MaxConcurrentTasks, SlugEditable = false,
        PreHooks = string.Join('\n', p.Hooks.Pre), PostHooks = string.Join('\n', p.Hooks.Post),
        AllowedHosts = string.Join('\n', p.Sandbox.AllowedHosts), MemoryMiB = p.Sandbox.MemoryMiB, Cpus = p.Sandbox.Cpus, Processes = p.Sandbox.Processes,
        TaskBudgetTokens = p.TaskBudget.Tokens, TaskBudgetUsd = p.TaskBudget.Usd,
    };
}
