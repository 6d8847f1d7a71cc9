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
    /// <summary>
    /// Run: clone, run the agent, capture and push. Plan: clone, run the provider's plan command, capture nothing, and
    /// keep the workspace for the approval. Execute: in the kept workspace, resume the plan's session with
    /// <see cref="Instructions"/> (the approval), then capture and push.
    /// </summary>
    public WorkspacePhase Phase { get; init; } = WorkspacePhase.Run;
}

public enum WorkspacePhase
{
    Run,
    Plan,
    Execute,
}

/// <summary>Delete a workspace kept after a plan phase (the plan was rejected, expired or cancelled). Nothing runs in it.</summary>
public sealed record ReleaseWorkspace(Guid TaskId);

/// <summary>Stop the task's agent (cancel). The backend answers with <see cref="WorkspaceExited"/>.</summary>
public sealed record StopWorkspace(Guid TaskId, string Reason);

/// <summary>Asked at start-up for tasks that were provisioning or running: does the backend still have this workspace?</summary>
public sealed record QueryWorkspace(Guid TaskId);

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

public sealed record RunnerResult(string Branch, string? BaseSha, IReadOnlyList<CommitInfo> Commits, bool Pushed, string? PushError);

public sealed record CommitInfo(string Sha, string Message, int FilesChanged, int Insertions, int Deletions);
