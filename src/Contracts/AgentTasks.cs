using System.Text;

namespace Catalyst.Contracts;

// What any module may ask of the Tasks module, and what it says back when a task moves or ends.

public enum AgentTaskStatus
{
    Pending,
    Provisioning,
    Running,
    Completed,
    Failed,
    Cancelled,
    TimedOut,
    // Appended, not inserted: the values of the statuses above stay what stored snapshots hold.
    /// <summary>The agent wrote a plan and stopped; the task waits for its owner to approve or reject it.</summary>
    AwaitingApproval,
    /// <summary>The runs of a parallel request have ended; the task waits for its owner to pick one.</summary>
    AwaitingChoice,
}

public static class AgentTaskTypes
{
    public static readonly IReadOnlyList<string> All = ["pr-review", "issue-fix", "feature-dev", "refactor"];
}

/// <summary>Where the instructions came from: typed by hand, or a pull request or an issue (with a snapshot of what the agent was given).</summary>
public sealed record TaskContext(string Kind, int? Number = null, string? Snapshot = null)
{
    public static readonly TaskContext Manual = new("manual");
    public override string ToString() => Number is null ? Kind : $"{Kind} #{Number}";
}

/// <summary>
/// Who asked for a task and through what: <c>page</c>, <c>mcp</c> or <c>github</c>. A task from GitHub names the commenter's
/// login and the repository, so that the Integrations module can answer where the request was made.
/// </summary>
public sealed record TaskOrigin(string Via, string? GitHubLogin = null, string? Repository = null)
{
    public static readonly TaskOrigin Page = new("page");
    public static readonly TaskOrigin Mcp = new("mcp");
}

/// <summary>A person (page), another agent (MCP) or GitHub (webhook) asks for an agent run. <see cref="UserId"/> is the actor.</summary>
public sealed record CreateAgentTask(
    Guid UserId,
    string ProjectSlug,
    string Type,
    string Instructions,
    string Provider,
    Guid? CredentialId,
    string? CredentialLabel = null,
    TaskContext? Context = null,
    bool PlanFirst = false,
    TaskBudget? Budget = null,
    TaskOrigin? Origin = null)
{
    public const int MaxInstructionsBytes = 100 * 1024;
    /// <summary>The context given with the instructions: the agent gets both on its command line, which has a limit.</summary>
    public const int MaxContextDetailsBytes = 64 * 1024;
    public const int MaxNameLength = 100;

    /// <summary>The branch the work starts from and a pull request targets (a pull request's head branch); the project's default branch when null.</summary>
    public string? BaseBranch { get; init; }

    /// <summary>The new task's id, chosen by the sender when it must know it first (GitHub's progress comment); new otherwise.</summary>
    public Guid? TaskId { get; init; }

    /// <summary>What can be checked without asking anyone: the shape of the request.</summary>
    public IReadOnlyList<CommandError> Validate()
    {
        var errors = new List<CommandError>();
        // Characters no field takes (PostgreSQL refuses NUL), before any other rule reads the text.
        foreach (var error in new[]
                 {
                     TextInput.Check(nameof(ProjectSlug), "The project", ProjectSlug, MaxNameLength),
                     TextInput.Check(nameof(Instructions), "The instructions", Instructions, int.MaxValue, multiLine: true),
                     TextInput.Check(nameof(Provider), "The agent provider", Provider, MaxNameLength),
                     TextInput.Check("CredentialId", "The credential", CredentialLabel, MaxNameLength),
                     TextInput.Check("ContextDetails", "The context details", Context?.Snapshot, int.MaxValue, multiLine: true),
                 }.OfType<CommandError>())
            errors.Add(error);
        if (errors.Count > 0) return errors;
        if (Context?.Snapshot is { } details && Encoding.UTF8.GetByteCount(details) > MaxContextDetailsBytes)
            errors.Add(new("ContextDetails", $"The context details are {Encoding.UTF8.GetByteCount(details) / 1024} KB; keep them to 64 KB (quote the parts the agent needs)."));
        if (string.IsNullOrWhiteSpace(ProjectSlug)) errors.Add(new(nameof(ProjectSlug), "Name the project (its slug)."));
        if (!AgentTaskTypes.All.Contains(Type ?? ""))
            errors.Add(new(nameof(Type), $"Choose a task type: {string.Join(", ", AgentTaskTypes.All)}."));
        if (string.IsNullOrWhiteSpace(Instructions))
            errors.Add(new(nameof(Instructions), "Write the instructions: what should the agent do?"));
        else if (Encoding.UTF8.GetByteCount(Instructions) > MaxInstructionsBytes)
            errors.Add(new(nameof(Instructions), $"The instructions are {Encoding.UTF8.GetByteCount(Instructions) / 1024} KB; keep them under 100 KB."));
        if (string.IsNullOrWhiteSpace(Provider)) errors.Add(new(nameof(Provider), "Choose an agent provider."));
        if (CredentialId is null && string.IsNullOrWhiteSpace(CredentialLabel))
            errors.Add(new("CredentialId", "Choose one of your credentials for this provider (add one under Agent credentials)."));
        if (Context is { Kind: not ("manual" or "pull_request" or "issue") })
            errors.Add(new(nameof(Context), "The context is manual, pull_request or issue."));
        else if (Context is { Kind: "pull_request" or "issue", Number: null or < 1 })
            errors.Add(new(nameof(Context), "A pull request or issue context needs its number."));
        if (BaseBranch is not null && !System.Text.RegularExpressions.Regex.IsMatch(BaseBranch, @"^(?!-)(?!.*\.\.)[A-Za-z0-9._/-]{1,200}$"))
            errors.Add(new(nameof(BaseBranch), "The base branch is a git branch name (letters, digits, . _ / -)."));
        if (Budget?.Tokens is <= 0) errors.Add(new("BudgetTokens", "Enter a number of tokens above zero, or leave it empty for the project's budget."));
        if (Budget?.Usd is <= 0) errors.Add(new("BudgetUsd", "Enter an amount in US dollars above zero, or leave it empty for the project's budget."));
        return errors;
    }
}

public sealed record AgentTaskCreatedResult(Guid TaskId, string ProjectSlug, AgentTaskStatus Status);

/// <summary>Where a task stands, as other modules see it (no logs, no instructions).</summary>
public sealed record AgentTaskReport(
    Guid TaskId, Guid ProjectId, string ProjectSlug, string Type, TaskContext Context, TaskOrigin Origin, Guid CreatedBy,
    string ProviderDisplayName, AgentTaskStatus Status, string? Plan, string? Error, string? Summary, string WorkBranch, bool BranchPushed,
    IReadOnlyList<CommitInfo> Commits, string? PullRequestUrl, long TotalTokens, decimal? CostUsd,
    DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? EndedAt)
{
    /// <summary>The first line of the instructions: a pull request's title.</summary>
    public string Title { get; init; } = "";

    /// <summary>What the agent said last (its answer, a review), when the task has ended.</summary>
    public string? FinalMessage { get; init; }

    /// <summary>The branch the work started from, when it is not the project's default branch.</summary>
    public string? BaseBranch { get; init; }
}

/// <summary>Published by the Tasks module whenever a task changes status and has not ended (queued, running, plan waiting).</summary>
public sealed record AgentTaskMoved(AgentTaskReport Task);

/// <summary>Published by the Tasks module once, when a task ends (completed, failed, cancelled, timed out).</summary>
public sealed record AgentTaskEnded(AgentTaskReport Task);

/// <summary>Asked of the Tasks module by other modules: the task's report, whoever asks (system processes only).</summary>
public sealed record FindAgentTaskReport(Guid TaskId);

/// <summary>A fact: a pull request was opened for the task's work branch. The Tasks module records it on the task's history.</summary>
public sealed record PullRequestOpened(Guid TaskId, int Number, string Url, DateTimeOffset At);

/// <summary>
/// Asked by the Tasks module when a task about a pull request or issue is created without a snapshot: what the agent
/// is given of it (title, body, comments, diff, review threads). Null when the project has no GitHub connection.
/// </summary>
public sealed record TakeContextSnapshot(Guid ProjectId, string Kind, int Number);

public sealed record ContextSnapshot(string Text);

/// <summary>Asked by the pull request and issue pages: the project's tasks about pull requests (or issues), newest first.</summary>
public sealed record ListContextTasks(Guid ProjectId, string Kind);

public sealed record ContextTaskRef(Guid TaskId, int Number, string Type, AgentTaskStatus Status, DateTimeOffset CreatedAt);
