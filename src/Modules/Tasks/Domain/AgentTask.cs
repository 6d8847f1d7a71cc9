using Catalyst.Contracts;

namespace Catalyst.Tasks.Domain;

public static class AgentTaskStatusNames
{
    /// <summary>The word users see and filter by: the status names of the product ("timeout", not "TimedOut").</summary>
    public static string Name(this AgentTaskStatus status) => status switch
    {
        AgentTaskStatus.TimedOut => "timeout",
        AgentTaskStatus.AwaitingApproval => "awaiting approval",
        AgentTaskStatus.AwaitingChoice => "awaiting choice",
        _ => status.ToString().ToLowerInvariant(),
    };

    public static bool TryParse(string? name, out AgentTaskStatus status)
    {
        foreach (var candidate in Enum.GetValues<AgentTaskStatus>())
        {
            if (string.Equals(candidate.Name(), name, StringComparison.OrdinalIgnoreCase)) { status = candidate; return true; }
        }
        status = default;
        return false;
    }

    public static bool IsFinished(this AgentTaskStatus status) =>
        status is AgentTaskStatus.Completed or AgentTaskStatus.Failed or AgentTaskStatus.Cancelled or AgentTaskStatus.TimedOut;
    public static bool IsActive(this AgentTaskStatus status) => status is AgentTaskStatus.Provisioning or AgentTaskStatus.Running;
}

// The task's history: its event stream, and what its page shows as the timeline.
public sealed record AgentTaskCreated(
    Guid TaskId, Guid ProjectId, string ProjectSlug, string Type, TaskContext Context, string Provider, string ProviderDisplayName,
    Guid CredentialId, string CredentialLabel, string Instructions, Guid CreatedBy, DateTimeOffset At, Guid? RetryOf, int TimeoutSeconds,
    bool PlanFirst = false, TaskBudget? Budget = null, TaskOrigin? Origin = null, string? BaseBranch = null);

public sealed record AgentTaskQueued(DateTimeOffset At);

/// <param name="Node">The Host node that runs the workspace (local backend); null in events stored before nodes were recorded.</param>
public sealed record WorkspaceRequested(DateTimeOffset At, string? Node = null);

public sealed record WorkspaceReady(string Location, DateTimeOffset At);

public sealed record AgentRunStarted(DateTimeOffset At);

public sealed record CommitsCaptured(string Branch, IReadOnlyList<CommitInfo> Commits, bool Pushed, string? PushError, DateTimeOffset At);

public sealed record CancellationRequested(Guid By, DateTimeOffset At);

public sealed record AgentTaskFinished(AgentTaskStatus Status, string? Error, string? Summary, int? ExitCode, DateTimeOffset At);

public sealed record AgentTaskRetried(Guid NewTaskId, Guid By, DateTimeOffset At);

/// <summary>The plan phase ended with a plan; it waits for approval until <see cref="ExpiresAt"/>.</summary>
public sealed record PlanProposed(string Plan, DateTimeOffset At, DateTimeOffset ExpiresAt);

/// <summary>The plan is approved: the task queues again to carry it out in the same workspace and session.</summary>
public sealed record PlanApproved(Guid By, string? Notes, DateTimeOffset At);

/// <summary>The plan is rejected; an <see cref="AgentTaskFinished"/> (cancelled) follows.</summary>
public sealed record PlanRejected(Guid By, string? Reason, DateTimeOffset At);

/// <summary>What one model request used, as the LLM broker read it from the vendor's answer (input excludes cached tokens).</summary>
public sealed record TokenUsageRecorded(long InputTokens, long OutputTokens, decimal? CostUsd, DateTimeOffset At)
{
    public long CacheReadTokens { get; init; }
    public long CacheWriteTokens { get; init; }
    public string? Model { get; init; }
}

/// <summary>The broker refused the task's next model request: it spent its budget (or its owner's month's). The task ends failed with <see cref="Message"/>.</summary>
public sealed record BudgetReached(string Message, DateTimeOffset At);

/// <summary>A pull request was opened for the task's work branch (by the Integrations module).</summary>
public sealed record PullRequestRecorded(int Number, string Url, DateTimeOffset At);

/// <summary>A project post-hook failed after the agent exited. The task still ends as the agent's exit decides.</summary>
public sealed record PostHookFailed(HookFailure Failure, DateTimeOffset At);

/// <summary>
/// The task's project was deleted and its history kept: the task stays, read-only, for the person who started it. It keeps
/// what it needs of the project to show its changes (the repository, while that still exists).
/// </summary>
public sealed record ProjectOfTaskDeleted(string ProjectName, string RepositoryUrl, string DefaultBranch, string? GitHubRepository, DateTimeOffset At);

/// <summary>An agent run on a project: its settings and where it is in its life. Rebuilt from its events; never mutated.</summary>
public sealed partial record AgentTask
{
    public Guid Id { get; init; }
    public int Version { get; init; }
    public Guid ProjectId { get; init; }
    public string ProjectSlug { get; init; } = "";
    public string Type { get; init; } = "";
    public TaskContext Context { get; init; } = TaskContext.Manual;
    public string Provider { get; init; } = "";
    public string ProviderDisplayName { get; init; } = "";
    public Guid CredentialId { get; init; }
    public string CredentialLabel { get; init; } = "";
    public string Instructions { get; init; } = "";
    public Guid CreatedBy { get; init; }
    /// <summary>Where the request came from: a page, MCP or a GitHub comment.</summary>
    public TaskOrigin Origin { get; init; } = TaskOrigin.Page;
    /// <summary>The branch the work starts from, when not the project's default branch (a pull request's head branch).</summary>
    public string? BaseBranch { get; init; }
    public AgentTaskStatus Status { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    /// <summary>When the task last joined the queue, and when its workspace was last asked for (metrics and alerts read them).</summary>
    public DateTimeOffset? QueuedAt { get; init; }
    public DateTimeOffset? WorkspaceRequestedAt { get; init; }
    /// <summary>The Host node that runs (or ran, or keeps for its plan) the task's local workspace; null before it asked for one.</summary>
    public string? Node { get; init; }
    public DateTimeOffset? EndedAt { get; init; }
    public string? Error { get; init; }
    public string? Summary { get; init; }
    public int? ExitCode { get; init; }
    public string WorkBranch { get; init; } = "";
    public bool BranchPushed { get; init; }
    public string? PushError { get; init; }
    public IReadOnlyList<CommitInfo> Commits { get; init; } = [];
    public string? PullRequestUrl { get; init; }
    public bool CancelRequested { get; init; }
    public Guid? RetryOf { get; init; }
    public Guid? RetriedAs { get; init; }
    public int TimeoutSeconds { get; init; }
    public long InputTokens { get; init; }
    public long OutputTokens { get; init; }
    public long CacheReadTokens { get; init; }
    public long CacheWriteTokens { get; init; }
    public decimal? CostUsd { get; init; }
    /// <summary>Every token the broker counted for the task: what its budget is measured in.</summary>
    public long TotalTokens => InputTokens + OutputTokens + CacheReadTokens + CacheWriteTokens;
    /// <summary>The agent first writes a plan, and changes anything only once its owner approved the plan.</summary>
    public bool PlanFirst { get; init; }
    public string? Plan { get; init; }
    public DateTimeOffset? PlanExpiresAt { get; init; }
    public bool PlanApproved { get; init; }
    public string? ApprovalNotes { get; init; }
    public HookFailure? PostHookFailure { get; init; }
    /// <summary>What the task may spend through the broker: the project's per-task budget, possibly lowered when it was created.</summary>
    public TaskBudget Budget { get; init; } = TaskBudget.None;
    /// <summary>Set when the broker stopped the task at its budget; the task ends failed with this message.</summary>
    public string? BudgetMessage { get; init; }

    /// <summary>The project was deleted with its history kept: the task is read-only history (see <see cref="ProjectOfTaskDeleted"/>).</summary>
    public bool OfDeletedProject { get; init; }
    public ProjectOfTaskDeleted? DeletedProject { get; init; }

    /// <summary>What every action on a task of a deleted project answers: its history is kept to be read, not acted on.</summary>
    public CommandError? RefusesActions() => DeletedProject is { } gone
        ? new CommandError("", $"The project “{gone.ProjectName}” was deleted; this task is kept as read-only history, so it cannot be retried, cancelled, approved or changed.", ErrorKind.Conflict)
        : null;

    /// <summary>What the next workspace of this task does: the whole run, the plan, or the approved plan's execution.</summary>
    public WorkspacePhase NextPhase => !PlanFirst ? WorkspacePhase.Run : PlanApproved ? WorkspacePhase.Execute : WorkspacePhase.Plan;

    /// <summary>
    /// The task's branch: its id's last 8 hex digits. Task ids are version-7 GUIDs whose leading digits are a timestamp
    /// (the first 8 change only every ~65 s), so the branch is taken from the random end.
    /// </summary>
    public static string BranchFor(Guid taskId) => $"catalyst/{ShortId(taskId)}";

    /// <summary>How a page names a task in a line: the same 8 random hex digits as its branch, so two tasks made together differ.</summary>
    public static string ShortId(Guid taskId) => taskId.ToString("N")[^8..];

    /// <summary>
    /// The status as a person should read it: a task that completed without a commit changed nothing (not a green
    /// success), and a cancelled task is not a failure.
    /// </summary>
    public static (string Label, string Tone) Display(AgentTaskStatus status, int commits, bool parallel) => status switch
    {
        AgentTaskStatus.Completed when commits == 0 && !parallel => ("completed · no changes", "no-changes"),
        _ => (status.Name(), status.Name()),
    };

    public static AgentTask Create(AgentTaskCreated e) => new()
    {
        Id = e.TaskId,
        ProjectId = e.ProjectId,
        ProjectSlug = e.ProjectSlug,
        Type = e.Type,
        Context = e.Context,
        Provider = e.Provider,
        ProviderDisplayName = e.ProviderDisplayName,
        CredentialId = e.CredentialId,
        CredentialLabel = e.CredentialLabel,
        Instructions = e.Instructions,
        CreatedBy = e.CreatedBy,
        CreatedAt = e.At,
        Status = AgentTaskStatus.Pending,
        WorkBranch = BranchFor(e.TaskId),
        RetryOf = e.RetryOf,
        TimeoutSeconds = e.TimeoutSeconds,
        PlanFirst = e.PlanFirst,
        Budget = e.Budget ?? TaskBudget.None,
        Origin = e.Origin ?? TaskOrigin.Page,
        BaseBranch = e.BaseBranch,
    };

    public AgentTask Apply(AgentTaskQueued e) => this with { QueuedAt = e.At };
    public AgentTask Apply(ProjectOfTaskDeleted e) => this with { OfDeletedProject = true, DeletedProject = e };
    public AgentTask Apply(WorkspaceRequested e) => this with { Status = AgentTaskStatus.Provisioning, WorkspaceRequestedAt = e.At, Node = e.Node ?? Node };
    public AgentTask Apply(WorkspaceReady _) => this;
    // A plan-first task starts twice (plan, then execution); it started when its first phase did.
    public AgentTask Apply(AgentRunStarted e) => this with { Status = AgentTaskStatus.Running, StartedAt = StartedAt ?? e.At };
    public AgentTask Apply(CommitsCaptured e) => this with { Commits = e.Commits, WorkBranch = e.Branch, BranchPushed = e.Pushed, PushError = e.PushError };
    public AgentTask Apply(CancellationRequested _) => this with { CancelRequested = true };
    public AgentTask Apply(AgentTaskFinished e) => this with { Status = e.Status, Error = e.Error, Summary = e.Summary, ExitCode = e.ExitCode, EndedAt = e.At };
    public AgentTask Apply(PlanProposed e) => this with { Status = AgentTaskStatus.AwaitingApproval, Plan = e.Plan, PlanExpiresAt = e.ExpiresAt };
    public AgentTask Apply(PlanApproved e) => this with { Status = AgentTaskStatus.Pending, PlanApproved = true, ApprovalNotes = e.Notes, PlanExpiresAt = null };
    public AgentTask Apply(PlanRejected _) => this with { PlanExpiresAt = null };
    public AgentTask Apply(AgentTaskRetried e) => this with { RetriedAs = e.NewTaskId };
    public AgentTask Apply(TokenUsageRecorded e) => this with
    {
        InputTokens = InputTokens + e.InputTokens,
        OutputTokens = OutputTokens + e.OutputTokens,
        CacheReadTokens = CacheReadTokens + e.CacheReadTokens,
        CacheWriteTokens = CacheWriteTokens + e.CacheWriteTokens,
        CostUsd = e.CostUsd is null ? CostUsd : (CostUsd ?? 0) + e.CostUsd,
    };
    public AgentTask Apply(PostHookFailed e) => this with { PostHookFailure = e.Failure };
    public AgentTask Apply(BudgetReached e) => this with { BudgetMessage = e.Message };
    public AgentTask Apply(PullRequestRecorded e) => this with { PullRequestUrl = e.Url };

    /// <summary>What other modules are told of the task when it moves or ends.</summary>
    public AgentTaskReport Report() => new(Id, ProjectId, ProjectSlug, Type, Context, Origin, CreatedBy, ProviderDisplayName, Status, Plan, Error,
        Summary, WorkBranch, BranchPushed, Commits, PullRequestUrl, TotalTokens, CostUsd, CreatedAt, StartedAt, EndedAt)
    {
        BaseBranch = BaseBranch,
        Title = Instructions.Split('\n', 2)[0].Trim() is { Length: > 72 } first ? first[..71] + "…" : Instructions.Split('\n', 2)[0].Trim(),
    };
}
