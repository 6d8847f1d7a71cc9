namespace Catalyst.Contracts;

/// <summary>Asked of the Providers module: one agent provider by name (e.g. "claude-code"); null when unknown.</summary>
public sealed record GetAgentProvider(string Name);

/// <summary>Asked of the Providers module: every provider, active ones first.</summary>
public sealed record ListAgentProviders(bool IncludeInactive = false);

/// <summary>
/// What the rest of Catalyst knows of a provider. <see cref="Launch"/> is how the runner starts its CLI headless.
/// </summary>
public sealed record AgentProviderInfo(
    string Name,
    string DisplayName,
    string Description,
    bool Active,
    IReadOnlyList<string> Features,
    IReadOnlyList<string> CredentialVariables,
    string? BaseUrlVariable,
    string? DefaultModel,
    InstallSpec? Install,
    AgentLaunch Launch)
{
    /// <summary>Two letters for the provider's card.</summary>
    public string Monogram { get; init; } = "";

    /// <summary>The vendor API a credential talks to unless the credential names its own base URL; fills {base_url}.</summary>
    public string? DefaultBaseUrl { get; init; }

    /// <summary>How a key is proven to work before a task relies on it; null when the provider has no such check.</summary>
    public CredentialCheck? KeyCheck { get; init; }
}

/// <summary>
/// A cheap authenticated request to the vendor's API: <see cref="Path"/> is relative to the base URL, and
/// "{key}" in a header value stands for the key being tested. A 2xx answer means the key works.
/// </summary>
public sealed record CredentialCheck(string Method, string Path, IReadOnlyDictionary<string, string> Headers);

/// <summary>How the CLI is installed: "npm" or "pip", a package and a pinned version, and the program it provides.</summary>
public sealed record InstallSpec(string Manager, string Package, string Version, string Binary);

/// <summary>
/// The agent's command line and set-up. Placeholders, replaced by the runner:
/// {prompt} (the instructions and context as one argument), {prompt_file}, {model}, {base_url}, {home}, {workspace},
/// {session_id} (a UUID that stays the task's across its plan and its execution).
/// </summary>
public sealed record AgentLaunch(
    IReadOnlyList<string> Command,
    IReadOnlyDictionary<string, string> Environment,
    IReadOnlyDictionary<string, string> HomeFiles,
    string OutputFormat)
{
    /// <summary>
    /// Commands run in the workspace, in order, after the home files are written and before <see cref="Command"/>
    /// (e.g. a CLI's own login step), with the same placeholders and environment.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<string>> Setup { get; init; } = [];

    /// <summary>
    /// The command line of a plan-first task's first phase: the agent may read but not change anything, and its last
    /// message is the plan. Empty when the CLI cannot plan.
    /// </summary>
    public IReadOnlyList<string> PlanCommand { get; init; } = [];

    /// <summary>
    /// The command line that continues the plan's session once the plan is approved; {prompt} is then the approval
    /// (with the approver's notes). Empty when the CLI cannot resume.
    /// </summary>
    public IReadOnlyList<string> ResumeCommand { get; init; } = [];

    public bool CanPlan => PlanCommand.Count > 0 && ResumeCommand.Count > 0;
}
