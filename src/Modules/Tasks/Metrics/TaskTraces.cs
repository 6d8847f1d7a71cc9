using System.Diagnostics;
using Catalyst.Tasks.Domain;

namespace Catalyst.Tasks.Metrics;

/// <summary>
/// One trace per task (source <c>Catalyst.Tasks</c>), written when the task ends from the times its events recorded, so
/// a task that outlived a restart still gets its whole trace. The trace id is the task id (32 hex digits), which makes
/// a task's trace findable from its page or its MCP answer.
/// </summary>
public static class TaskTraces
{
    public const string SourceName = "Catalyst.Tasks";
    private static readonly ActivitySource Source = new(SourceName);
    private static readonly AsyncLocal<ActivityTraceId?> NextRootTraceId = new();

    static TaskTraces()
    {
        // A root span takes its trace id from this generator; ours asks for the task's id, others get a random one.
        var previous = Activity.TraceIdGenerator;
        Activity.TraceIdGenerator = () => NextRootTraceId.Value ?? previous?.Invoke() ?? ActivityTraceId.CreateRandom();
    }

    public static ActivityTraceId TraceIdOf(Guid taskId) => ActivityTraceId.CreateFromBytes(taskId.ToByteArray(bigEndian: true));

    public static void Write(AgentTask task)
    {
        if (!Source.HasListeners() || task.EndedAt is not { } ended) return;
        var previousCurrent = Activity.Current;
        Activity.Current = null;
        NextRootTraceId.Value = TraceIdOf(task.Id);
        try
        {
            using var root = Source.StartActivity("agent_task", ActivityKind.Internal, parentContext: default,
                tags: Attributes(task), startTime: task.CreatedAt);
            if (root is null) return;
            NextRootTraceId.Value = null;
            var queued = task.QueuedAt ?? task.CreatedAt;
            Span(root, "agent_task.queue", queued, task.WorkspaceRequestedAt ?? task.StartedAt ?? ended);
            if (task.WorkspaceRequestedAt is { } requested) Span(root, "agent_task.workspace", requested, task.StartedAt ?? ended);
            if (task.StartedAt is { } started) Span(root, "agent_task.run", started, ended);
            root.SetStatus(task.Status is AgentTaskStatus.Failed or AgentTaskStatus.TimedOut ? ActivityStatusCode.Error : ActivityStatusCode.Ok, task.Error);
            root.SetEndTime(ended.UtcDateTime);
        }
        finally
        {
            NextRootTraceId.Value = null;
            Activity.Current = previousCurrent;
        }
    }

    private static void Span(Activity root, string name, DateTimeOffset start, DateTimeOffset end)
    {
        using var span = Source.StartActivity(name, ActivityKind.Internal, root.Context, startTime: start);
        span?.SetEndTime(end < start ? start.UtcDateTime : end.UtcDateTime);
    }

    private static IEnumerable<KeyValuePair<string, object?>> Attributes(AgentTask task) =>
    [
        new("catalyst.task.id", task.Id.ToString()),
        new("catalyst.project", task.ProjectSlug),
        new("catalyst.provider", task.Provider),
        new("catalyst.task.type", task.Type),
        new("catalyst.task.status", TaskGauges.StatusLabel(task.Status)),
        new("catalyst.task.tokens", task.TotalTokens),
        new("catalyst.task.commits", task.Commits.Count),
    ];
}
