using System.ComponentModel;
using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using Catalyst.Contracts;
using Catalyst.Tasks;
using Catalyst.Tasks.Domain;
using Catalyst.Tasks.Logs;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using Wolverine;

namespace Catalyst.Host.Mcp;

public sealed record McpCreatedTask(Guid TaskId, string Project, string Status)
{
    public static McpCreatedTask From(AgentTaskCreatedResult r) => new(r.TaskId, r.ProjectSlug, r.Status.Name());
}

public sealed record McpLogLine(long Sequence, DateTimeOffset Timestamp, string Level, string Kind, string Message, JsonElement? Metadata)
{
    public static McpLogLine From(AgentTaskLog l) => new(l.Sequence, l.Timestamp, l.LevelName, l.Kind, l.Message,
        l.Metadata is null ? null : JsonDocument.Parse(l.Metadata).RootElement.Clone());
}

public sealed record McpLogPage(Guid TaskId, string Status, bool TaskFinished, long LastSequence, IReadOnlyList<McpLogLine> Lines)
{
    public static McpLogPage From(AgentTaskLogPage p) => new(p.TaskId, p.Status, p.TaskFinished, p.LastSequence, p.Lines.Select(McpLogLine.From).ToList());
}

/// <summary>A task as a list shows it: the first lines of its instructions, not all of them (get_agent_task has the rest).</summary>
public sealed record McpTaskSummary(
    Guid Id, string ProjectSlug, string Type, string Context, string Provider, string CredentialLabel, string Status,
    string InstructionsPreview, int InstructionsLength, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? EndedAt,
    string? Error, string? Summary, string WorkBranch, string? PullRequestUrl, Guid? RetriedAs, IReadOnlyList<Guid> RunIds, decimal? CostUsd)
{
    public const int PreviewChars = 200;

    public static McpTaskSummary From(AgentTaskView t) => new(t.Id, t.ProjectSlug, t.Type, t.Context, t.Provider, t.CredentialLabel, t.Status,
        Preview(t.Instructions), t.Instructions.Length, t.CreatedAt, t.StartedAt, t.EndedAt, t.Error, t.Summary, t.WorkBranch, t.PullRequestUrl,
        t.RetriedAs, t.RunIds, t.CostUsd);

    public static string Preview(string text) =>
        text.Length <= PreviewChars ? text : text[..(char.IsHighSurrogate(text[PreviewChars - 1]) ? PreviewChars - 1 : PreviewChars)] + "…";
}

public sealed record McpTaskPage(IReadOnlyList<McpTaskSummary> Tasks, IReadOnlyDictionary<string, int> CountsByStatus, int Total, int Page, int PageSize, bool HasNext)
{
    public static McpTaskPage From(AgentTaskPage p) => new(p.Tasks.Select(McpTaskSummary.From).ToList(), p.CountsByStatus, p.Total, p.Page, p.PageSize, p.HasNext);
}

[McpServerToolType]
public sealed class AgentTaskTools
{
    private const string TaskIdDescription = "The task's id (a UUID), as create_agent_task or list_agent_tasks returned it.";

    public const string TypeDescription =
        "The kind of work. pr-review: read a pull request and write a review (context pull-request); issue-fix: fix what an issue " +
        "describes (context issue); feature-dev: build something new from the instructions; refactor: restructure code without changing behaviour.";

    [McpServerTool(Name = "create_agent_task", Title = "Start an agent task", Destructive = false, OpenWorld = true,
        UseStructuredContent = true, OutputSchemaType = typeof(McpCreatedTask))]
    [Description("Starts a coding agent on a project's repository: it gets its own workspace, clones the repository at the project's default branch, " +
                 "works on a new branch catalyst/<last 8 hex digits of the task id>, and its commits are pushed there when it ends. A pull request is opened " +
                 "only when the project is linked to a GitHub repository and the agent made commits; otherwise the result is the pushed branch. The task is queued (status " +
                 "`pending`) and runs when the concurrency limits allow; follow it with wait_for_agent_task (or get_agent_task and get_agent_task_logs). " +
                 "Find providers and your credentials with list_agent_providers, and projects with list_projects.")]
    public static async Task<CallToolResult> CreateAgentTask(
        ClaimsPrincipal user, IMessageBus bus,
        [Description("The project's slug, as list_projects gives it.")] string project,
        [Description(TypeDescription)] string type,
        [Description("What the agent should do, in plain language, as you would tell a developer. Up to 100 KB.")] string instructions,
        [Description("The agent provider's name, e.g. claude-code or codex-cli (see list_agent_providers).")] string provider,
        [Description("Which of your credentials for that provider to use: its label (e.g. \"work\") or its id. See your_credentials in list_agent_providers.")] string credential,
        [Description("Where the work comes from: manual (default), pull-request or issue.")] string context = "manual",
        [Description("The pull request or issue number, required when context is pull-request or issue.")] int? context_number = null,
        [Description("Extra material given to the agent with the instructions, e.g. the issue text or the review comments. Optional, up to 64 KB.")] string? context_details = null,
        [Description("True: the agent first writes a plan and changes nothing; the task waits in `awaiting-approval` until approve_agent_plan " +
                     "or reject_agent_plan. A plan not decided in time expires (24 hours unless the server says otherwise): the task then ends " +
                     "`cancelled`. Only providers listing the \"plans\" feature. Default: false.")] bool plan_first = false,
        [Description("At most this many tokens (input, output and cached) for this task through the LLM broker; lower than the project's per-task budget. Optional.")] long? budget_tokens = null,
        [Description("At most this many US dollars for this task at the broker's prices; lower than the project's per-task budget. Optional.")] decimal? budget_usd = null,
        CancellationToken ct = default)
    {
        var credentialId = Guid.TryParse(credential, out var id) ? id : (Guid?)null;
        var command = new CreateAgentTask(user.UserId(), project, type, instructions, provider, credentialId,
            credentialId is null ? credential : null, new TaskContext(McpSpellings.ContextToDomain(context), context_number, context_details), plan_first,
            budget_tokens is null && budget_usd is null ? null : new TaskBudget(budget_tokens, budget_usd));
        return McpAnswer.From(await bus.InvokeAsync<Result<AgentTaskCreatedResult>>(command, ct), McpCreatedTask.From);
    }

    [McpServerTool(Name = "get_agent_task", Title = "Get an agent task", ReadOnly = true, Idempotent = true, OpenWorld = false,
        UseStructuredContent = true, OutputSchemaType = typeof(AgentTaskDetails))]
    [Description("Shows one task: its status (pending, provisioning, running, awaiting-approval, awaiting-choice, completed, failed, cancelled, timeout), instructions, provider, " +
                 "times, error, summary, work branch, commits, pull request URL, token usage and cost as the LLM broker metered them against the task's budget " +
                 "(budget_tokens, budget_usd, total_tokens, budget_message), its timeline, and its place in the queue while pending.")]
    public static async Task<CallToolResult> GetAgentTask(
        ClaimsPrincipal user, IMessageBus bus,
        [Description(TaskIdDescription)] string task_id,
        CancellationToken ct = default)
    {
        if (!Guid.TryParse(task_id, out var taskId)) return McpAnswer.NotFound("The task");
        var details = await bus.InvokeAsync<AgentTaskDetails?>(new GetAgentTask(user.UserId(), taskId), ct);
        return details is null ? McpAnswer.NotFound("The task") : McpAnswer.Ok(details);
    }

    [McpServerTool(Name = "list_agent_tasks", Title = "List a project's agent tasks", ReadOnly = true, Idempotent = true, OpenWorld = false,
        UseStructuredContent = true, OutputSchemaType = typeof(McpTaskPage))]
    [Description("Lists a project's tasks, newest first, with the count of tasks in each status. Each task shows the first 200 characters of its " +
                 "instructions (instructions_preview); get_agent_task has all of them. Filter by status and type; page with page and limit " +
                 "(a limit or page outside its range is refused, never clamped).")]
    public static async Task<CallToolResult> ListAgentTasks(
        ClaimsPrincipal user, IMessageBus bus,
        [Description("The project's slug.")] string project,
        [Description("Only tasks in this status. Default: all.")] string? status = null,
        [Description("Only tasks of this type. Default: all.")] string? type = null,
        [Description("Tasks per page, 1 to 100. Default: 25.")] int limit = 25,
        [Description("Page number, from 1. Default: 1. has_next says whether there is another page.")] int page = 1,
        CancellationToken ct = default) =>
        McpAnswer.From(await bus.InvokeAsync<Result<AgentTaskPage>>(
            new ListAgentTasks(user.UserId(), project, McpSpellings.StatusToDomain(NullIfEmpty(status)), NullIfEmpty(type), page, limit), ct), McpTaskPage.From);

    [McpServerTool(Name = "cancel_agent_task", Title = "Cancel an agent task", Destructive = true, Idempotent = true, OpenWorld = false,
        UseStructuredContent = true, OutputSchemaType = typeof(AgentTaskView))]
    [Description("Stops a task that is pending or running. A pending task ends `cancelled` at once; a running one gets cancel_requested = true " +
                 "and ends `cancelled` when its agent has stopped (commits it made are still captured). A task that already ended cannot be cancelled. " +
                 "Destructive: the agent's work in progress is stopped; retry_agent_task starts it again as a new task.")]
    public static async Task<CallToolResult> CancelAgentTask(
        ClaimsPrincipal user, IMessageBus bus,
        [Description(TaskIdDescription)] string task_id,
        CancellationToken ct = default)
    {
        if (!Guid.TryParse(task_id, out var taskId)) return McpAnswer.NotFound("The task");
        return McpAnswer.From(await bus.InvokeAsync<Result<AgentTaskView>>(new CancelAgentTask(user.UserId(), taskId), ct));
    }

    [McpServerTool(Name = "retry_agent_task", Title = "Retry an agent task", Destructive = false, OpenWorld = true,
        UseStructuredContent = true, OutputSchemaType = typeof(McpCreatedTask))]
    [Description("Runs a failed, cancelled or timed-out task again, as a new task with the same project, type, instructions, provider and " +
                 "credential. Returns the new task's id; the old task keeps its history and links to the new one (retried_as). A task is retried once.")]
    public static async Task<CallToolResult> RetryAgentTask(
        ClaimsPrincipal user, IMessageBus bus,
        [Description(TaskIdDescription)] string task_id,
        CancellationToken ct = default)
    {
        if (!Guid.TryParse(task_id, out var taskId)) return McpAnswer.NotFound("The task");
        return McpAnswer.From(await bus.InvokeAsync<Result<AgentTaskCreatedResult>>(new RetryAgentTask(user.UserId(), taskId), ct), McpCreatedTask.From);
    }

    [McpServerTool(Name = "get_agent_task_logs", Title = "Read an agent task's log", ReadOnly = true, Idempotent = true, OpenWorld = false,
        UseStructuredContent = true, OutputSchemaType = typeof(McpLogPage))]
    [Description("Reads a task's log in order: what the agent said, the tools it called, files it changed, usage, system messages and stderr. " +
                 "Every line has a gap-free sequence number. To follow a task, call with after_sequence = the last_sequence of the previous " +
                 "answer (asked beyond the end, last_sequence is the real last line's number); the log is complete once task_finished is true and a call " +
                 "returns no lines. To wait for new lines instead of asking again and again, use wait_for_agent_task.")]
    public static async Task<CallToolResult> GetAgentTaskLogs(
        ClaimsPrincipal user, IMessageBus bus,
        [Description(TaskIdDescription)] string task_id,
        [Description("Lowest level to include: debug, info, warn or error (\"warn\" means warn and error). Default: all levels.")] string? level = null,
        [Description("Only lines at or after this time, ISO 8601 (e.g. 2026-11-25T10:00:00Z). Optional.")] string? since = null,
        [Description("Only lines at or before this time, ISO 8601. Optional.")] string? until = null,
        [Description("Only lines with a sequence number greater than this: 0 (default) for the start, or the last_sequence of a previous answer.")] long after_sequence = 0,
        [Description("Most lines to return, 1 to 1000 (a larger limit is refused, never clamped). Default: 200.")] int limit = 200,
        CancellationToken ct = default)
    {
        if (!Guid.TryParse(task_id, out var taskId)) return McpAnswer.NotFound("The task");
        if (!TryParseTime(since, out var from)) return McpAnswer.Error($"“since” is not a time: use ISO 8601, such as 2026-11-25T10:00:00Z.");
        if (!TryParseTime(until, out var to)) return McpAnswer.Error($"“until” is not a time: use ISO 8601, such as 2026-11-25T10:00:00Z.");
        var query = new GetAgentTaskLogs(user.UserId(), taskId, NullIfEmpty(level), from, to, after_sequence, limit);
        return McpAnswer.From(await bus.InvokeAsync<Result<AgentTaskLogPage>>(query, ct), McpLogPage.From);
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static bool TryParseTime(string? value, out DateTimeOffset? time)
    {
        time = null;
        if (string.IsNullOrWhiteSpace(value)) return true;
        if (!DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)) return false;
        time = parsed;
        return true;
    }
}
