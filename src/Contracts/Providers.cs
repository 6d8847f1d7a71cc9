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
    AgentLaunch Launch);

/// <summary>How the CLI is installed: "npm" or "pip", a package and a pinned version, and the program it provides.</summary>
public sealed record InstallSpec(string Manager, string Package, string Version, string Binary);

/// <summary>
/// The agent's command line and set-up. Placeholders, replaced by the runner:
/// {prompt} (the instructions and context as one argument), {prompt_file}, {model}, {base_url}, {home}, {workspace}.
/// </summary>
public sealed record AgentLaunch(
    IReadOnlyList<string> Command,
    IReadOnlyDictionary<string, string> Environment,
    IReadOnlyDictionary<string, string> HomeFiles,
    string OutputFormat);
