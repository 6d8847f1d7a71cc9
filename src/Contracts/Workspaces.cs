using System.Text.Json.Serialization;

namespace Catalyst.Contracts;

// Tasks module → workspace backend (local process or Kubernetes operator).

/// <summary>Start a workspace for a task and run the agent in it. Carries no secret: the backend asks for the key itself.</summary>
public sealed record ProvisionWorkspace(WorkspaceSpec Spec);

public sealed record WorkspaceSpec(
    Guid TaskId,
    string RepositoryUrl,
    string BaseBranch,
    string WorkBranch,
    string Instructions,
    string? Context,
    AgentProviderInfo Provider,
    Guid CredentialId,
    int TimeoutSeconds,
    IReadOnlyDictionary<string, string> Settings)
{
    /// <summary>The key in <see cref="Settings"/> of the task's project slug.</summary>
    public const string ProjectSetting = "project";

    /// <summary>The project's hooks, run by the runner in the clone around the agent, without the agent's credential.</summary>
    public ProjectHooks Hooks { get; init; } = ProjectHooks.None;

    /// <summary>
    /// Run: clone, run the agent, capture and push. Plan: clone, run the provider's plan command, capture nothing, and
    /// keep the workspace for the approval. Execute: in the kept workspace, resume the plan's session with
    /// <see cref="Instructions"/> (the approval), then capture and push.
    /// </summary>
    public WorkspacePhase Phase { get; init; } = WorkspacePhase.Run;

    /// <summary>What the task may spend through the broker (the project's budget, possibly lowered by the task).</summary>
    public TaskBudget Budget { get; init; } = TaskBudget.None;

    /// <summary>Host names (and optional ports) the workspace may reach through the egress proxy; empty: the broker only.</summary>
    public IReadOnlyList<string> EgressAllowList { get; init; } = [];

    /// <summary>The project's memory, CPU and process limits for the workspace; null (or a null field): the backend's default.</summary>
    public WorkspaceResources? Limits { get; init; }
}

public sealed record WorkspaceResources(int? MemoryMiB, double? Cpus, int? Processes);

public enum WorkspacePhase
{
    Run,
    Plan,
    Execute,
}

/// <summary>
/// A task waits for a slot: the backend may get ready for it now so that its start is shorter once a slot frees (the local
/// backend fetches the project's repository cache). Nothing is started and nothing is promised: the task still starts
/// through <see cref="ProvisionWorkspace"/>. Carries no secret.
/// </summary>
public sealed record PrepareWorkspace(Guid TaskId, string RepositoryUrl);

/// <summary>Delete a workspace kept after a plan phase (the plan was rejected, expired or cancelled). Nothing runs in it.</summary>
public sealed record ReleaseWorkspace(Guid TaskId);

/// <summary>Stop the task's agent (cancel). The backend answers with <see cref="WorkspaceExited"/>.</summary>
public sealed record StopWorkspace(Guid TaskId, string Reason)
{
    /// <summary>How the workspace ends: cancelled by default; failed when the task went over its budget.</summary>
    public WorkspaceEnd End { get; init; } = WorkspaceEnd.Cancelled;
}

/// <summary>Asked at start-up for tasks that were provisioning or running: does the backend still have this workspace?</summary>
public sealed record QueryWorkspace(Guid TaskId);

/// <summary>
/// Asked at start-up for a task whose workspace is gone: how did it end, if the backend kept that on disk because the Host
/// stopped before the end was stored? Answered with that <see cref="WorkspaceExited"/>, or null.
/// </summary>
public sealed record ReadKeptWorkspaceExit(Guid TaskId);

/// <summary>The kept end of the task's workspace (<see cref="ReadKeptWorkspaceExit"/>) is stored now: the backend may delete it.</summary>
public sealed record ForgetKeptWorkspaceExit(Guid TaskId);

public enum WorkspaceState
{
    Unknown,
    Running,
    Gone,
}

// Workspace backend → Tasks module.

public sealed record WorkspaceProvisioned(Guid TaskId, string Location, DateTimeOffset At);

public sealed record AgentStarted(Guid TaskId, DateTimeOffset At);

/// <summary>Output lines in the order the agent printed them, batched for throughput.</summary>
public sealed record AgentOutput(Guid TaskId, IReadOnlyList<OutputLine> Lines);

public sealed record OutputLine(DateTimeOffset At, OutputStream Stream, string Text);

public enum OutputStream
{
    Stdout,
    Stderr,
    System,
    /// <summary>What a project hook printed (its stdout and stderr together, in order).</summary>
    Hook,
    /// <summary>A warning of the workspace's own, e.g. a connection the egress proxy refused.</summary>
    SystemWarning,
}

public enum WorkspaceEnd
{
    Exited,
    Cancelled,
    TimedOut,
    Failed,
}

/// <summary>The agent and runner are done (or were stopped). <see cref="Result"/> holds what the runner reported, when it got that far.</summary>
public sealed record WorkspaceExited(Guid TaskId, WorkspaceEnd End, int? ExitCode, string? Error, RunnerResult? Result, DateTimeOffset At);

public sealed record RunnerResult(string Branch, string? BaseSha, IReadOnlyList<CommitInfo> Commits, bool Pushed, string? PushError)
{
    /// <summary>The pre-hook that failed: the agent never started, nothing was committed or pushed.</summary>
    public HookFailure? PreHookFailure { get; init; }

    /// <summary>The post-hook that failed after the agent exited; the agent's commits are still there.</summary>
    public HookFailure? PostHookFailure { get; init; }
}

[JsonConverter(typeof(JsonStringEnumConverter<HookPhase>))]
public enum HookPhase
{
    Pre,
    Post,
}

/// <summary>A project hook that exited non-zero: which one (1-based), its command, its exit code and the last lines it printed.</summary>
public sealed record HookFailure(HookPhase Phase, int Number, string Command, int ExitCode, string Output)
{
    public string Describe()
    {
        var said = Output.Trim();
        var what = $"{(Phase == HookPhase.Pre ? "Pre-hook" : "Post-hook")} {Number} (`{Command}`) failed with exit code {ExitCode}";
        return said.Length == 0 ? $"{what} and printed nothing." : $"{what}:\n{said}";
    }
}

public sealed record CommitInfo(string Sha, string Message, int FilesChanged, int Insertions, int Deletions);
