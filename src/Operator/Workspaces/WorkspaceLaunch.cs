using System.Globalization;
using System.Text.RegularExpressions;
using Catalyst.Contracts;

namespace Catalyst.Operator.Workspaces;

/// <summary>
/// Everything <c>runner/entrypoint.sh</c> needs to run one task, as plain values that any backend lays out: files under
/// the workspace directory, the runner's environment (it holds the task token: a Secret on Kubernetes) and its argv.
/// </summary>
/// <param name="Files">Relative to the workspace directory → content: the prompt, the agent's argv, set-up steps, hooks and the provider's home files (under <c>home/</c>).</param>
/// <param name="Environment">The runner's whole environment; nothing else is passed.</param>
/// <param name="RunnerCommand">The runner's argv: <c>bash &lt;runner&gt;/entrypoint.sh</c>.</param>
public sealed partial record WorkspaceLaunch(
    IReadOnlyDictionary<string, string> Files,
    IReadOnlyDictionary<string, string> Environment,
    IReadOnlyList<string> RunnerCommand)
{
    public const string PromptFile = "prompt.md";
    public const string AgentArgvFile = "agent-argv";
    public const string PreHooksFile = "pre-hooks";
    public const string PostHooksFile = "post-hooks";
    public const string HomeDirectory = "home";
    public const string RepositoryDirectory = "repo";
    public const string StateDirectory = "state";
    public const string HooksHomeDirectory = "hooks-home";

    /// <summary>The runner's own directory, outside any sandbox: the base commit, the repository it pushes from.</summary>
    public const string RunnerOwnDirectory = "runner";

    /// <summary>The files the runner reads to start the agent (all but the home files): the sandbox sees them read-only.</summary>
    public IEnumerable<string> RunnerFiles => Files.Keys.Where(f => !f.StartsWith(HomeDirectory + "/", StringComparison.Ordinal));

    /// <summary>The provider's command line for the spec's phase (empty when the provider has none for it).</summary>
    public static IReadOnlyList<string> CommandLine(WorkspaceSpec spec) => spec.Phase switch
    {
        WorkspacePhase.Plan => spec.Provider.Launch.PlanCommand,
        WorkspacePhase.Execute => spec.Provider.Launch.ResumeCommand,
        _ => spec.Provider.Launch.Command,
    };

    /// <summary>Why this spec cannot be launched at all (the provider has no command line for its phase); null when it can.</summary>
    public static string? Refusal(WorkspaceSpec spec) => CommandLine(spec).Count > 0 ? null
        : spec.Phase == WorkspacePhase.Run
            ? $"The provider '{spec.Provider.Name}' has no command line to start its agent."
            : $"The provider '{spec.Provider.Name}' cannot plan first: it has no plan and resume command lines.";

    /// <summary>
    /// The launch of <paramref name="spec"/> with <paramref name="access"/>'s token. Throws <see cref="InvalidOperationException"/>
    /// when the provider's home file would land outside HOME. See <see cref="Refusal"/> first.
    /// </summary>
    public static WorkspaceLaunch For(WorkspaceSpec spec, TaskAccess access, WorkspaceLaunchSettings settings)
    {
        var root = settings.Directory.TrimEnd('/');
        string At(string relative) => $"{root}/{relative}";
        var filesRoot = (settings.FilesDirectory ?? settings.Directory).TrimEnd('/');
        string LaunchFile(string relative) => $"{filesRoot}/{relative}";
        var values = new Dictionary<string, string>
        {
            ["prompt_file"] = LaunchFile(PromptFile),
            ["model"] = FirstNonBlank(access.Model, spec.Provider.DefaultModel) ?? "",
            ["base_url"] = settings.AgentBaseUrl,
            ["home"] = At(HomeDirectory),
            ["workspace"] = At(RepositoryDirectory),
            ["session_id"] = spec.TaskId.ToString(),
        };
        string Substitute(string text) => Placeholder().Replace(text, m => values[m.Groups[1].Value]);
        static string Nul(IEnumerable<string> args) => string.Concat(args.Select(a => a.Replace("\0", "") + "\0"));

        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        var prompt = string.IsNullOrWhiteSpace(spec.Context) ? spec.Instructions : $"{spec.Instructions.TrimEnd()}\n\n{spec.Context.Trim()}";
        files[PromptFile] = prompt.TrimEnd() + "\n";
        files[AgentArgvFile] = Nul(CommandLine(spec).Select(Substitute));
        var setupFiles = new List<string>();
        // The execute phase's CLI is already set up: its HOME is the plan's.
        foreach (var step in spec.Phase == WorkspacePhase.Execute ? [] : spec.Provider.Launch.Setup.Where(s => s.Count > 0))
        {
            var name = $"agent-setup-{setupFiles.Count + 1}";
            files[name] = Nul(step.Select(Substitute));
            setupFiles.Add(name);
        }
        // The project's hooks: NUL-terminated commands, read by the runner (never passed through the environment).
        if (spec.Hooks.Pre.Count > 0) files[PreHooksFile] = Nul(spec.Hooks.Pre);
        if (spec.Hooks.Post.Count > 0) files[PostHooksFile] = Nul(spec.Hooks.Post);
        foreach (var (relative, content) in spec.Provider.Launch.HomeFiles)
            files[HomeFile(relative)] = Substitute(content);

        // Nothing of the backend's own environment: its connection strings, keys and tokens stay with it.
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = string.Join(':', settings.PathDirectories),
            ["LANG"] = "C.UTF-8",
        };
        foreach (var (name, value) in spec.Provider.Launch.Environment) env[name] = Substitute(value);
        env["HOME"] = At(HomeDirectory);
        env["CATALYST_TASK_ID"] = spec.TaskId.ToString();
        env["CATALYST_REPOSITORY_URL"] = settings.RepositoryUrl ?? spec.RepositoryUrl;
        env["CATALYST_BASE_BRANCH"] = spec.BaseBranch;
        env["CATALYST_WORK_BRANCH"] = WorkBranch(spec);
        env["CATALYST_WORKSPACE"] = root;
        env["CATALYST_PROMPT_FILE"] = LaunchFile(PromptFile);
        env["CATALYST_PHASE"] = spec.Phase.ToString().ToLowerInvariant();
        env["CATALYST_AGENT_ARGV_FILE"] = LaunchFile(AgentArgvFile);
        if (setupFiles.Count > 0) env["CATALYST_AGENT_SETUP_FILES"] = string.Join(':', setupFiles.Select(LaunchFile));
        if (files.ContainsKey(PreHooksFile)) env["CATALYST_PRE_HOOKS_FILE"] = LaunchFile(PreHooksFile);
        if (files.ContainsKey(PostHooksFile)) env["CATALYST_POST_HOOKS_FILE"] = LaunchFile(PostHooksFile);
        // Names only: the runner unsets these for the hooks, which must not see the task token.
        env["CATALYST_CREDENTIAL_VARIABLES"] = string.Join(' ', spec.Provider.CredentialVariables);
        env["CATALYST_AGENT_GRACE_SECONDS"] = Math.Max(1, (int)(settings.StopGrace.TotalSeconds / 2)).ToString(CultureInfo.InvariantCulture);
        if (settings.ConfirmsTokenRevoked) env["CATALYST_TOKEN_REVOKED_FILE"] = At(TokenRevokedFile);
        // The task token, never a key: only the broker takes it, and only while the agent runs.
        foreach (var name in spec.Provider.CredentialVariables) env[name] = access.Token;
        if (spec.Provider.BaseUrlVariable is { Length: > 0 } baseUrlVariable && settings.AgentBaseUrl.Length > 0) env[baseUrlVariable] = settings.AgentBaseUrl;
        foreach (var (name, value) in settings.ExtraEnvironment) env[name] = value;

        return new WorkspaceLaunch(files, env, ["bash", settings.EntrypointPath]);
    }

    /// <summary>Left by the backend once it revoked the task token, for the runner that waits for it before the post-hooks.</summary>
    public const string TokenRevokedFile = RunnerOwnDirectory + "/token-revoked";

    /// <summary>The spec's work branch, or <c>catalyst/&lt;last 8 hex of the task id&gt;</c>.</summary>
    public static string WorkBranch(WorkspaceSpec spec) =>
        string.IsNullOrWhiteSpace(spec.WorkBranch) ? $"catalyst/{spec.TaskId.ToString("N")[^8..]}" : spec.WorkBranch;

    /// <summary>
    /// The agent's base URL: the broker's address as the agent reaches it, with the path of the vendor's base URL kept,
    /// so the CLI speaks to the broker as to its vendor. Empty when there is no broker to reach.
    /// </summary>
    public static string AgentBaseUrl(TaskAccess access, string? brokerAddress)
    {
        var path = Uri.TryCreate(access.UpstreamBaseUrl, UriKind.Absolute, out var upstream) ? upstream.AbsolutePath.TrimEnd('/') : "";
        var broker = brokerAddress?.TrimEnd('/');
        return broker is null ? "" : broker + path;
    }

    private static string HomeFile(string relative)
    {
        var parts = relative.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        var kept = new Stack<string>();
        foreach (var part in parts)
        {
            if (part == ".") continue;
            if (part == "..")
            {
                if (kept.Count == 0) throw new InvalidOperationException($"The provider's home file '{relative}' is outside HOME.");
                kept.Pop();
                continue;
            }
            kept.Push(part);
        }
        if (kept.Count == 0 || relative.StartsWith('/')) throw new InvalidOperationException($"The provider's home file '{relative}' is outside HOME.");
        return HomeDirectory + "/" + string.Join('/', kept.Reverse());
    }

    private static string? FirstNonBlank(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));

    [GeneratedRegex(@"\{(prompt_file|model|base_url|home|workspace|session_id)\}")]
    private static partial Regex Placeholder();
}

/// <summary>What a backend decides about a launch: where the workspace is as the runner sees it, and how it reaches out.</summary>
public sealed record WorkspaceLaunchSettings
{
    /// <summary>The workspace directory as the runner sees it (a local task directory, or the pod's emptyDir mount).</summary>
    public required string Directory { get; init; }

    /// <summary>
    /// Where the launch's files (all but the home files) are as the runner sees them, when not under <see cref="Directory"/>
    /// (a pod's read-only Secret volume); null: under <see cref="Directory"/>.
    /// </summary>
    public string? FilesDirectory { get; init; }

    /// <summary>The runner's <c>entrypoint.sh</c> as the runner's machine sees it.</summary>
    public required string EntrypointPath { get; init; }

    /// <summary>The agent's PATH, in order.</summary>
    public required IReadOnlyList<string> PathDirectories { get; init; }

    /// <summary>Where the agent's CLI sends model requests (see <see cref="WorkspaceLaunch.AgentBaseUrl"/>); empty: nowhere.</summary>
    public string AgentBaseUrl { get; init; } = "";

    /// <summary>The repository to clone when the backend rewrites the spec's (a local path made absolute, a cache); null: the spec's.</summary>
    public string? RepositoryUrl { get; init; }

    /// <summary>Between SIGTERM and SIGKILL when the workspace is stopped; the agent gets half of it.</summary>
    public TimeSpan StopGrace { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The backend revokes the token when the agent exits and leaves <see cref="WorkspaceLaunch.TokenRevokedFile"/> for the runner to wait on.</summary>
    public bool ConfirmsTokenRevoked { get; init; }

    /// <summary>Backend-specific variables added last (a sandbox's doors, say).</summary>
    public IReadOnlyDictionary<string, string> ExtraEnvironment { get; init; } = new Dictionary<string, string>();
}
