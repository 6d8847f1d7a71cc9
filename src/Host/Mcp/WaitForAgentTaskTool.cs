using System.ComponentModel;
using System.Security.Claims;
using Catalyst.Contracts;
using Catalyst.Tasks;
using Catalyst.Tasks.Logs;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using Wolverine;

namespace Catalyst.Host.Mcp;

public sealed record McpTaskWait(
    Guid TaskId, string Status, bool StatusChanged, bool TaskFinished, long LastSequence, IReadOnlyList<McpLogLine> Lines,
    bool TimedOut, double WaitedSeconds);

/// <summary>Following a task in a few calls: one call blocks until something happens to the task (or the wait ends), then says what.</summary>
[McpServerToolType]
public sealed class WaitForAgentTaskTool
{
    public const int MaxWaitSeconds = 60;

    /// <summary>How often the database is asked again: another node may be the one writing the task's log.</summary>
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);

    [McpServerTool(Name = "wait_for_agent_task", Title = "Wait for an agent task", ReadOnly = true, Idempotent = true, OpenWorld = false,
        UseStructuredContent = true, OutputSchemaType = typeof(McpTaskWait))]
    [Description("Waits up to timeout_seconds (1 to 60) until the task's status differs from `status` or log lines after after_sequence exist, " +
                 "then returns the status and those lines (at most `limit`). Sends progress notifications while it waits when the request " +
                 "has a progressToken. To follow a task to its end: call with after_sequence = the last_sequence and status = the status of " +
                 "the previous answer, until task_finished is true and no lines came back. Returns at once if the task already ended.")]
    public static async Task<CallToolResult> WaitForAgentTask(
        ClaimsPrincipal user, IMessageBus bus, TaskLiveFeed feed, IProgress<ProgressNotificationValue> progress,
        [Description("The task's id (a UUID), as create_agent_task or list_agent_tasks returned it.")] string task_id,
        [Description("Lines after this sequence number count as news: 0 (default) for the start, or the last_sequence of a previous answer.")] long after_sequence = 0,
        [Description("The status you last saw; the wait ends when the task is in another one. Default: its status when the call starts.")] string? status = null,
        [Description("How long to wait at most, in seconds: 1 to 60. Default: 30.")] int timeout_seconds = 30,
        [Description("Most log lines to return, 1 to 1000. Default: 200.")] int limit = 200,
        CancellationToken ct = default)
    {
        if (!Guid.TryParse(task_id, out var taskId)) return McpAnswer.NotFound("The task");
        var started = DateTimeOffset.UtcNow;
        var deadline = started.AddSeconds(Math.Clamp(timeout_seconds, 1, MaxWaitSeconds));
        // Subscribed before the first look, so that nothing written in between is missed.
        using var subscription = feed.Subscribe(taskId);

        var first = await Look(bus, user, taskId, after_sequence, limit, ct);
        if (!first.Succeeded) return McpAnswer.Error(first.ErrorText);
        var known = McpSpellings.StatusToDomain(status) ?? first.Value!.Status;
        var page = first.Value!;
        var tick = 0;
        while (page.Lines.Count == 0 && page.Status == known && !page.TaskFinished && DateTimeOffset.UtcNow < deadline)
        {
            var left = deadline - DateTimeOffset.UtcNow;
            using var wake = CancellationTokenSource.CreateLinkedTokenSource(ct);
            wake.CancelAfter(left < Poll ? left : Poll);
            try
            {
                await subscription.Reader.WaitToReadAsync(wake.Token);
                while (subscription.Reader.TryRead(out _)) { }
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested) { }

            progress.Report(new ProgressNotificationValue
            {
                Progress = ++tick,
                Total = MaxWaitSeconds,
                Message = $"Waiting: the task is {McpSpellings.Canonical("status", page.Status)}, no new log lines after {page.LastSequence}.",
            });
            var next = await Look(bus, user, taskId, after_sequence, limit, ct);
            if (!next.Succeeded) return McpAnswer.Error(next.ErrorText);
            page = next.Value!;
        }

        return McpAnswer.Ok(new McpTaskWait(taskId, page.Status, page.Status != known, page.TaskFinished, page.LastSequence,
            page.Lines.Select(McpLogLine.From).ToList(),
            TimedOut: page.Lines.Count == 0 && page.Status == known && !page.TaskFinished,
            WaitedSeconds: Math.Round((DateTimeOffset.UtcNow - started).TotalSeconds, 1)));
    }

    private static Task<Result<AgentTaskLogPage>> Look(IMessageBus bus, ClaimsPrincipal user, Guid taskId, long after, int limit, CancellationToken ct) =>
        bus.InvokeAsync<Result<AgentTaskLogPage>>(new GetAgentTaskLogs(user.UserId(), taskId, null, null, null, after, limit), ct);
}
