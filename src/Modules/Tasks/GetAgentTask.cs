using Catalyst.Contracts;
using Catalyst.Tasks.Domain;
using Catalyst.Tasks.Logs;
using JasperFx.Events;
using Marten;
using Marten.Services.BatchQuerying;
using Wolverine;

namespace Catalyst.Tasks;

/// <summary>A task as a page, an MCP tool and a test read it.</summary>
public sealed record AgentTaskView(
    Guid Id, string ProjectSlug, string Type, string Context, string Provider, string ProviderDisplayName, Guid CredentialId, string CredentialLabel,
    string Instructions, string Status, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? EndedAt, string? Error, string? Summary,
    string WorkBranch, bool BranchPushed, IReadOnlyList<CommitInfo> Commits, string? PullRequestUrl, bool CancelRequested, Guid? RetryOf, Guid? RetriedAs,
    Guid CreatedBy, long InputTokens, long OutputTokens, decimal? CostUsd)
{
    /// <summary>The agent writes a plan first and waits for approval before changing anything.</summary>
    public bool PlanFirst { get; init; }
    /// <summary>The plan the agent wrote, once it has; approved or not.</summary>
    public string? Plan { get; init; }
    /// <summary>While the plan waits: when the task ends by itself if no one decides.</summary>
    public DateTimeOffset? PlanExpiresAt { get; init; }
    public bool CanDecidePlan => Status == "awaiting approval" && DeletedProject is null;

    public bool IsFinished => AgentTaskStatusNames.TryParse(Status, out var s) && s.IsFinished();
    /// <summary>What the badge says and how it looks: see <see cref="AgentTask.Display"/>.</summary>
    public string StatusLabel => AgentTaskStatusNames.TryParse(Status, out var s) ? AgentTask.Display(s, Commits.Count, IsParallel).Label : Status;
    public string StatusTone => AgentTaskStatusNames.TryParse(Status, out var s) ? AgentTask.Display(s, Commits.Count, IsParallel).Tone : Status;
    /// <summary>Cancelled (by its owner, or a plan left undecided): its message is information, not an error.</summary>
    public bool IsCancelled => Status == "cancelled";
    public bool CanCancel => !IsFinished && !CancelRequested && DeletedProject is null;
    public bool CanRetry => Status is "failed" or "cancelled" or "timeout" && RetriedAs is null && !IsParallel && ParentId is null && DeletedProject is null;

    /// <summary>Set when the task's project was deleted with its history kept: the task is read-only.</summary>
    public ProjectOfTaskDeleted? DeletedProject { get; init; }

    /// <summary>What a page needs of a deleted project to show the task's changes: the repository it was pushed to, as kept on the task.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public ProjectRef? DeletedProjectRef => DeletedProject is { } gone
        ? new ProjectRef(ProjectId, ProjectSlug, gone.ProjectName, gone.RepositoryUrl, gone.DefaultBranch, gone.GitHubRepository, 0, 0, [])
        : null;
    public Guid ProjectId { get; init; }

    /// <summary>On a run of a parallel request: the request, and the run's number in it.</summary>
    public Guid? ParentId { get; init; }
    public int? RunNumber { get; init; }

    /// <summary>On a parallel request: its runs, in order, and the one chosen as its result.</summary>
    public IReadOnlyList<Guid> RunIds { get; init; } = [];
    public Guid? ChosenRunId { get; init; }
    public bool IsParallel => RunIds.Count > 0;

    /// <summary>The project post-hook that failed after the agent exited, if one did.</summary>
    public HookFailure? PostHookFailure { get; init; }

    /// <summary>Cached input read and written, as the broker metered them (apart from <see cref="InputTokens"/>).</summary>
    public long CacheReadTokens { get; init; }
    public long CacheWriteTokens { get; init; }
    /// <summary>Every token the broker counted: what a token budget is measured against.</summary>
    public long TotalTokens => InputTokens + OutputTokens + CacheReadTokens + CacheWriteTokens;
    /// <summary>The task's budget through the broker; null: no limit.</summary>
    public long? BudgetTokens { get; init; }
    public decimal? BudgetUsd { get; init; }
    /// <summary>Why the broker stopped the task, when a budget did.</summary>
    public string? BudgetMessage { get; init; }
    /// <summary>What the agent was given of the pull request or issue the task is about.</summary>
    public string? ContextSnapshot { get; init; }

    public static AgentTaskView From(AgentTask t) => new(t.Id, t.ProjectSlug, t.Type, t.Context.ToString(), t.Provider, t.ProviderDisplayName,
        t.CredentialId, t.CredentialLabel, t.Instructions, t.Status.Name(), t.CreatedAt, t.StartedAt, t.EndedAt, t.Error, t.Summary, t.WorkBranch,
        t.BranchPushed, t.Commits, t.PullRequestUrl, t.CancelRequested, t.RetryOf, t.RetriedAs, t.CreatedBy, t.InputTokens, t.OutputTokens, t.CostUsd)
    {
        PlanFirst = t.PlanFirst,
        ContextSnapshot = t.Context.Snapshot,
        Plan = t.Plan,
        PlanExpiresAt = t.Status == AgentTaskStatus.AwaitingApproval ? t.PlanExpiresAt : null,
        ParentId = t.ParentId, RunNumber = t.ParentId is null ? null : t.RunNumber, RunIds = t.RunIds, ChosenRunId = t.ChosenRunId,
        PostHookFailure = t.PostHookFailure,
        CacheReadTokens = t.CacheReadTokens, CacheWriteTokens = t.CacheWriteTokens,
        BudgetTokens = t.Budget.Tokens, BudgetUsd = t.Budget.Usd, BudgetMessage = t.BudgetMessage,
        DeletedProject = t.DeletedProject, ProjectId = t.ProjectId,
    };
}

public sealed record TimelineEntry(DateTimeOffset At, string Title, string? Detail);

public sealed record AgentTaskDetails(AgentTaskView Task, IReadOnlyList<TimelineEntry> Timeline, int? QueuePosition)
{
    /// <summary>On a parallel request: its runs as they are now, in order.</summary>
    public IReadOnlyList<AgentTaskView>? Runs { get; init; }

    /// <summary>A completed task with pushed commits and no pull request yet, on a project linked to a GitHub repository.</summary>
    public bool CanOpenPullRequest { get; init; }
    /// <summary>The task's project, when the page has it at hand (for links to the changes).</summary>
    public ProjectRef? Project { get; init; }
}

public sealed record GetAgentTask(Guid UserId, Guid TaskId);

public static class GetAgentTaskHandler
{
    public static async Task<AgentTaskDetails?> Handle(GetAgentTask query, IQuerySession session, IMessageBus bus, CancellationToken ct)
    {
        var task = query.TaskId == Guid.Empty ? null : await session.LoadAsync<AgentTask>(query.TaskId, ct);
        if (task is null || !await TaskAccess.CanSee(bus, query.UserId, task, ct)) return null;
        var events = await session.Events.FetchStreamAsync(task.Id, token: ct);
        int? position = null;
        if (task.Status == AgentTaskStatus.Pending)
            position = await session.Query<AgentTask>().CountAsync(t => t.Status == AgentTaskStatus.Pending && t.CreatedAt < task.CreatedAt, ct) + 1;
        var details = new AgentTaskDetails(AgentTaskView.From(task), Timeline(events), position);
        if (task is { Status: AgentTaskStatus.Completed, BranchPushed: true, PullRequestUrl: null, Commits.Count: > 0 } && task.Type != "pr-review" && !task.IsParallel)
            details = details with { CanOpenPullRequest = (await bus.InvokeAsync<ProjectRef?>(new FindProjectById(task.ProjectId), ct))?.GitHubRepository is not null };
        return task.IsParallel ? details with { Runs = (await session.LoadManyAsync<AgentTask>(ct, task.RunIds)).OrderBy(r => r.RunNumber).Select(AgentTaskView.From).ToList() } : details;
    }

    /// <summary>The pure part: the task's events in words.</summary>
    public static IReadOnlyList<TimelineEntry> Timeline(IEnumerable<IEvent> events) => events.Select(e => e.Data switch
    {
        AgentTaskCreated c => new TimelineEntry(c.At, c.RetryOf is null ? "Created" : "Created as a retry",
            $"{c.Type} with {c.ProviderDisplayName}{(c.PlanFirst ? ", plan first" : "")}"),
        PlanProposed p => new TimelineEntry(p.At, "Plan proposed", $"Waiting for approval until {p.ExpiresAt:yyyy-MM-dd HH:mm} UTC"),
        PlanApproved a => new TimelineEntry(a.At, "Plan approved", a.Notes),
        PlanRejected r => new TimelineEntry(r.At, "Plan rejected", r.Reason),
        AgentTaskQueued q => new TimelineEntry(q.At, "Queued", null),
        WorkspaceRequested w => new TimelineEntry(w.At, "Provisioning", "Workspace requested"),
        WorkspaceReady r => new TimelineEntry(r.At, "Workspace provisioned", null),
        AgentRunStarted s => new TimelineEntry(s.At, "Agent started", null),
        CommitsCaptured c => new TimelineEntry(c.At, "Commits captured", $"{c.Commits.Count} on {c.Branch}{(c.Pushed ? ", pushed" : "")}"),
        CancellationRequested c => new TimelineEntry(c.At, "Cancel requested", null),
        AgentTaskFinished f => new TimelineEntry(f.At, $"Finished: {f.Status.Name()}", f.Error ?? f.Summary),
        AgentTaskRetried r => new TimelineEntry(r.At, "Retried", $"as {r.NewTaskId}"),
        TokenUsageRecorded u => new TimelineEntry(u.At, "Usage", $"{u.InputTokens} in / {u.OutputTokens} out"),
        ParallelRunsStarted p => new TimelineEntry(p.At, $"{p.RunIds.Count} runs started", "Each run has its own workspace and branch"),
        RunOfParallelTask r => new TimelineEntry(r.At, $"Run {r.Number} of {r.Of}", "of a request for parallel runs"),
        ParallelRunEnded r => new TimelineEntry(r.At, $"Run {r.Number} ended: {r.Status.Name()}", r.Detail is null ? r.ProviderDisplayName : $"{r.ProviderDisplayName}: {r.Detail}"),
        ParallelRunsAwaitingChoice a => new TimelineEntry(a.At, "Awaiting choice", $"{a.Completed} of {a.Of} runs completed"),
        RunChosen c => new TimelineEntry(c.At, $"Run {c.Number} chosen", $"{c.ProviderDisplayName}: {c.Commits.Count} commit{(c.Commits.Count == 1 ? "" : "s")} on {c.Branch}"),
        PullRequestRecorded p => new TimelineEntry(p.At, $"Pull request #{p.Number} opened", p.Url),
        PostHookFailed h => new TimelineEntry(h.At, "Post-hook failed", $"{h.Failure.Number}: `{h.Failure.Command}` exited with code {h.Failure.ExitCode}"),
        _ => null,
    }).OfType<TimelineEntry>().ToList();
}

public sealed record ListAgentTasks(Guid UserId, string ProjectSlug, string? Status = null, string? Type = null, int Page = 1, int PageSize = 25);

public sealed record AgentTaskPage(IReadOnlyList<AgentTaskView> Tasks, IReadOnlyDictionary<string, int> CountsByStatus, int Total, int Page, int PageSize)
{
    public bool HasNext => Page * PageSize < Total;
}

public static class ListAgentTasksHandler
{
    public static async Task<Result<AgentTaskPage>> Handle(ListAgentTasks query, IQuerySession session, IMessageBus bus, TaskCounts taskCounts,
        MemberProjects memberProjects, CancellationToken ct)
    {
        var project = await memberProjects.FindAsync(bus, query.UserId, query.ProjectSlug, ct);
        if (project is null) return Result<AgentTaskPage>.NotFound($"The project “{query.ProjectSlug}”");

        var errors = new List<CommandError>();
        AgentTaskStatus status = default;
        if (!string.IsNullOrEmpty(query.Status) && !AgentTaskStatusNames.TryParse(query.Status, out status))
            errors.Add(new("Status", $"Unknown status “{query.Status}”: use pending, provisioning, running, awaiting approval, awaiting choice, completed, failed, cancelled or timeout."));
        if (!string.IsNullOrEmpty(query.Type) && !AgentTaskTypes.All.Contains(query.Type))
            errors.Add(new("Type", $"Unknown type “{query.Type}”: use {string.Join(", ", AgentTaskTypes.All)}."));
        if (errors.Count > 0) return Result<AgentTaskPage>.Fail(errors);

        var pageSize = Math.Clamp(query.PageSize, 1, 100);
        var page = Math.Max(1, query.Page);

        // One round trip: the page, and the project's count per status as the database keeps them (see TaskCounts). The
        // total follows from those counts unless the type is filtered too, which the counts ignore.
        var batch = session.CreateBatchQuery();
        var type = query.Type;
        IBatchedQueryable<AgentTask> Filtered()
        {
            // The runs of a parallel request are listed under it, not as tasks of their own.
            var tasks = batch.Query<AgentTask>().Where(t => t.ProjectId == project.Id && t.ParentId == null);
            if (!string.IsNullOrEmpty(query.Status)) tasks = tasks.Where(t => t.Status == status);
            if (!string.IsNullOrEmpty(type)) tasks = tasks.Where(t => t.Type == type);
            return tasks;
        }
        var tasks = Filtered().OrderByDescending(t => t.CreatedAt).Skip((page - 1) * pageSize).Take(pageSize).ToList();
        Task<long>? typeTotal = string.IsNullOrEmpty(type) ? null : Filtered().Count();
        var grouped = batch.Query<StatusCount>(TaskCounts.ReadSql, project.Id);
        await batch.Execute(ct);

        var counts = new Dictionary<string, int>();
        var rows = 0;
        foreach (var c in await grouped)
        {
            rows += c.Rows;
            if (c.Count > 0 && Enum.IsDefined((AgentTaskStatus)c.Status)) counts[((AgentTaskStatus)c.Status).Name()] = c.Count;
        }
        if (rows > TaskCounts.FoldAbove) await taskCounts.FoldAsync(project.Id, rows, ct);
        var total = typeTotal is not null ? (int)await typeTotal
            : string.IsNullOrEmpty(query.Status) ? counts.Values.Sum() : counts.GetValueOrDefault(status.Name());
        return Result<AgentTaskPage>.Ok(new((await tasks).Select(AgentTaskView.From).ToList(), counts, total, page, pageSize));
    }

    /// <summary>How many of a project's listed tasks are in one status (the status as the database stores it), summed from how many rows.</summary>
    private sealed record StatusCount(int Status, int Count, int Rows);
}

public sealed record GetAgentTaskLogs(Guid UserId, Guid TaskId, string? Level = null, DateTimeOffset? Since = null, DateTimeOffset? Until = null,
    long AfterSequence = 0, int Limit = 200);

public sealed record AgentTaskLogPage(Guid TaskId, string Status, IReadOnlyList<AgentTaskLog> Lines, long LastSequence, bool TaskFinished);

public static class GetAgentTaskLogsHandler
{
    public static async Task<Result<AgentTaskLogPage>> Handle(GetAgentTaskLogs query, IQuerySession session, IMessageBus bus, TaskLogReader reader, CancellationToken ct)
    {
        var task = query.TaskId == Guid.Empty ? null : await session.LoadAsync<AgentTask>(query.TaskId, ct);
        if (task is null || !await TaskAccess.CanSee(bus, query.UserId, task, ct)) return Result<AgentTaskLogPage>.NotFound("The task");

        var levels = ParseLevels(query.Level, out var levelError);
        var errors = new List<CommandError>();
        if (levelError is not null) errors.Add(levelError);
        if (query.Limit is < 1 or > 1000) errors.Add(new("Limit", "The limit is between 1 and 1000 lines."));
        if (query.AfterSequence < 0) errors.Add(new("AfterSequence", "after_sequence is 0 or a sequence number already seen."));
        if (query.Since is { } s && query.Until is { } u && u < s) errors.Add(new("Until", "“until” is before “since”."));
        if (errors.Count > 0) return Result<AgentTaskLogPage>.Fail(errors);

        var lines = await reader.ReadAsync(task.Id, new TaskLogReader.Filter(query.AfterSequence, levels, query.Since, query.Until, query.Limit), ct);
        // Asked from beyond the end: the real end, so that a client following the task does not skip the lines still to come.
        var last = lines.Count > 0 ? lines[^1].Sequence : Math.Min(query.AfterSequence, await reader.CountAsync(task.Id, ct));
        return Result<AgentTaskLogPage>.Ok(new(task.Id, task.Status.Name(), lines, last, task.Status.IsFinished()));
    }

    /// <summary>"warn" means warn and worse: a level filter shows that level and the ones above it.</summary>
    public static IReadOnlyCollection<TaskLogLevel>? ParseLevels(string? level, out CommandError? error)
    {
        error = null;
        if (string.IsNullOrWhiteSpace(level) || level == "all") return null;
        if (!Enum.TryParse<TaskLogLevel>(level, ignoreCase: true, out var minimum) || int.TryParse(level, out _))
        {
            error = new("Level", $"Unknown level “{level}”: use debug, info, warn or error.");
            return null;
        }
        return Enum.GetValues<TaskLogLevel>().Where(l => l >= minimum).ToList();
    }
}
