using Catalyst.Contracts;

namespace Catalyst.Providers.Catalogue;

/// <summary>
/// One agent CLI as Catalyst knows it, defined in code and registered in DI as a singleton instance
/// (<c>services.AddSingleton(new AgentProviderDefinition { ... })</c>). Seeded into the database at start-up.
/// </summary>
public sealed record AgentProviderDefinition
{
    /// <summary>The stable name tasks and credentials refer to, e.g. "claude-code".</summary>
    public required string Name { get; init; }
    public required string DisplayName { get; init; }
    public required string Description { get; init; }
    public required string Monogram { get; init; }

    /// <summary>Where the provider sits in pickers; lower first.</summary>
    public int Order { get; init; } = 100;

    public bool Active { get; init; } = true;
    public InstallSpec? Install { get; init; }

    /// <summary>"hooks", "plans", "subagents", "mcp": what the agent can do beyond editing files.</summary>
    public IReadOnlyList<string> Features { get; init; } = [];

    /// <summary>The environment variable(s) the credential's key goes into.</summary>
    public required IReadOnlyList<string> CredentialVariables { get; init; }

    /// <summary>The environment variable that carries the base URL, when the CLI reads one.</summary>
    public string? BaseUrlVariable { get; init; }

    public required string DefaultBaseUrl { get; init; }
    public string? DefaultModel { get; init; }
    public required CredentialCheck KeyCheck { get; init; }

    /// <summary>The headless command line, program first, with the placeholders of <see cref="AgentLaunch"/>.</summary>
    public required IReadOnlyList<string> Command { get; init; }

    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Configuration files written under {home} before the agent starts, by path relative to {home}.</summary>
    public IReadOnlyDictionary<string, string> ConfigTemplate { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<IReadOnlyList<string>> Setup { get; init; } = [];

    /// <summary>Plan-first tasks: the read-only command line whose last message is the plan (see <see cref="AgentLaunch.PlanCommand"/>).</summary>
    public IReadOnlyList<string> PlanCommand { get; init; } = [];

    /// <summary>Plan-first tasks: the command line that resumes the plan's session once approved (see <see cref="AgentLaunch.ResumeCommand"/>).</summary>
    public IReadOnlyList<string> ResumeCommand { get; init; } = [];

    /// <summary>How the adapter reads stdout: "claude-stream-json", "codex-json", "cline-json", "gemini-stream-json", "qwen-stream-json", "opencode-json", "aider-text" or "text" (see docs/providers.md).</summary>
    public required string OutputFormat { get; init; }

    public AgentLaunch Launch => new(Command, Environment, ConfigTemplate, OutputFormat) { Setup = Setup, PlanCommand = PlanCommand, ResumeCommand = ResumeCommand };

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!System.Text.RegularExpressions.Regex.IsMatch(Name ?? "", "^[a-z0-9][a-z0-9-]{0,48}[a-z0-9]$"))
            problems.Add($"“{Name}” is not a provider name: lowercase letters, digits and dashes.");
        if (Command is null || Command.Count == 0) problems.Add($"{Name} has no command line.");
        if (CredentialVariables is null || CredentialVariables.Count == 0) problems.Add($"{Name} names no credential variable.");
        if (!Uri.TryCreate(DefaultBaseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            problems.Add($"{Name} has no absolute http(s) default base URL.");
        if ((Features ?? []).Contains(AgentFeatures.Plans) != Launch.CanPlan)
            problems.Add($"{Name}: the “plans” feature goes with a plan command and a resume command, and only with them.");
        foreach (var feature in Features ?? [])
            if (!AgentFeatures.All.Contains(feature)) problems.Add($"{Name} lists an unknown feature “{feature}”.");
        return problems;
    }
}

public static class AgentFeatures
{
    public const string Hooks = "hooks";
    public const string Plans = "plans";
    public const string Subagents = "subagents";
    public const string Mcp = "mcp";

    public static readonly IReadOnlyList<string> All = [Hooks, Plans, Subagents, Mcp];
}
