using System.Text.Json;
using Catalyst.Contracts;
using Catalyst.Tasks.Domain;
using Catalyst.Tasks.Logs;
using Catalyst.Tasks.Nodes;
using Catalyst.Tasks.Queue;
using Marten;
using JasperFx.Events;
using Microsoft.Extensions.Configuration;
using Wolverine;

namespace Catalyst.Tasks;

/// <summary>How long a plan waits for its approval before the task ends and its workspace is released.</summary>
public sealed class PlanApprovalOptions
{
    public PlanApprovalOptions(IConfiguration configuration)
    {
        var minutes = configuration.GetValue<double?>("Catalyst:Tasks:PlanApprovalTimeoutMinutes") ?? 24 * 60;
        WaitLimit = TimeSpan.FromMinutes(Math.Clamp(minutes, 0.01, 30 * 24 * 60));
    }

    public TimeSpan WaitLimit { get; set; }
}

/// <summary>What the agent is told in each phase of a plan-first task.</summary>
public static class PlanPhase
{
    /// <summary>Follows the instructions after a line of three dashes, so that the instructions stay first and whole.</summary>
    public const string PlanRequest =
        "Plan first. Do not change, create or delete any file, do not commit, and run nothing that changes the repository. " +
        "Read what you need, then answer with a numbered, step-by-step plan as your final message. A person reviews the plan; " +
        "once it is approved you will be asked to carry it out.";

    public static string PlanInstructions(string instructions) => $"{instructions.TrimEnd()}\n\n---\n{PlanRequest}";

    public static string ApprovalMessage(string? notes) =>
        "The plan is approved. Carry it out now: make the changes and commit them with clear messages." +
        (string.IsNullOrWhiteSpace(notes) ? "" : $"\n\nNotes from the reviewer:\n{notes.Trim()}");

    public const int MaxPlanChars = 64 * 1024;
    public const int MaxNotesChars = 10_000;

    /// <summary>
    /// The pure part: the plan in what the plan phase logged. A CLI that hands its plan to a plan tool (Claude Code's
    /// ExitPlanMode) is read from that call; otherwise an event-stream CLI's plan is its last message, and a plain-text
    /// CLI's is everything it printed.
    /// </summary>
    public static string? PlanOf(IReadOnlyList<AgentTaskLog> entries, string outputFormat)
    {
        foreach (var call in entries.Where(e => e.Kind == TaskLogKinds.ToolCall).Reverse())
        {
            if (call.Metadata is null) continue;
            using var doc = JsonDocument.Parse(call.Metadata);
            if (doc.RootElement.TryGetProperty("tool", out var tool) && tool.ValueKind == JsonValueKind.String && tool.GetString() == "ExitPlanMode"
                && doc.RootElement.TryGetProperty("input", out var input) && input.ValueKind == JsonValueKind.Object
                && input.TryGetProperty("plan", out var plan) && plan.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(plan.GetString()))
                return Limit(plan.GetString()!);
        }
        var messages = entries.Where(e => e.Kind == TaskLogKinds.AgentMessage && !string.IsNullOrWhiteSpace(e.Message)).Select(e => e.Message).ToList();
        if (messages.Count == 0) return null;
        return Limit(outputFormat is "text" or "aider-text" ? string.Join('\n', messages) : messages[^1]);
    }

    private static string Limit(string plan)
    {
        plan = plan.Trim();
        return plan.Length <= MaxPlanChars ? plan : plan[..MaxPlanChars] + "\n… (the plan was cut at 64 KB; the whole of it is in the log)";
    }
}

/// <summary>The task's owner, or another member of its project, lets the agent carry out its plan.</summary>
public sealed record ApproveAgentPlan(Guid UserId, Guid TaskId, string? Notes = null);

/// <summary>The plan is not to be carried out: the task ends cancelled and its workspace is released.</summary>
public sealed record RejectAgentPlan(Guid UserId, Guid TaskId, string? Reason = null);

/// <summary>Scheduled when a plan is proposed: ends the task if the plan still waits by then.</summary>
public sealed record ExpirePlanApproval(Guid TaskId, DateTimeOffset ExpiresAt);

public static class PlanApprovalHandler
{
    public static async Task<(Result<AgentTaskView>, OutgoingMessages)> Handle(ApproveAgentPlan command, IDocumentSession session, IMessageBus bus,
        TaskLogWriter logs, TimeProvider clock, CancellationToken ct)
    {
        var outgoing = new OutgoingMessages();
        var (stream, error) = await WaitingTask(session, bus, command.UserId, command.TaskId, ct);
        if (error is not null) return (error, outgoing);
        if (TextInput.Check("Notes", "The notes", command.Notes, int.MaxValue, multiLine: true) is { } refused)
            return (Result<AgentTaskView>.Fail(refused), outgoing);
        if (command.Notes is { Length: > PlanPhase.MaxNotesChars })
            return (Result<AgentTaskView>.Fail(new CommandError("Notes", $"Keep the notes for the agent under {PlanPhase.MaxNotesChars:N0} characters.")), outgoing);

        var now = clock.GetUtcNow();
        var approved = new PlanApproved(command.UserId, string.IsNullOrWhiteSpace(command.Notes) ? null : command.Notes.Trim(), now);
        stream!.AppendOne(approved);
        stream.AppendOne(new AgentTaskQueued(now));
        await logs.SystemAsync(command.TaskId, "Plan approved: queued to carry it out in the same workspace.", TaskLogLevel.Info, ct);
        outgoing.Add(new AgentTaskStatusChanged(command.TaskId, AgentTaskStatus.Pending));
        outgoing.Add(new StartQueuedTasks());
        return (Result<AgentTaskView>.Ok(AgentTaskView.From(stream.Aggregate!.Apply(approved))), outgoing);
    }

    public static async Task<(Result<AgentTaskView>, OutgoingMessages)> Handle(RejectAgentPlan command, IDocumentSession session, IMessageBus bus,
        TaskLogWriter logs, CatalystNode node, TimeProvider clock, CancellationToken ct)
    {
        var outgoing = new OutgoingMessages();
        var (stream, error) = await WaitingTask(session, bus, command.UserId, command.TaskId, ct);
        if (error is not null) return (error, outgoing);
        if (TextInput.Check("Reason", "The reason", command.Reason, int.MaxValue, multiLine: true) is { } refusedReason)
            return (Result<AgentTaskView>.Fail(refusedReason), outgoing);
        if (command.Reason is { Length: > PlanPhase.MaxNotesChars })
            return (Result<AgentTaskView>.Fail(new CommandError("Reason", $"Keep the reason under {PlanPhase.MaxNotesChars:N0} characters.")), outgoing);

        var now = clock.GetUtcNow();
        var reason = string.IsNullOrWhiteSpace(command.Reason) ? null : command.Reason.Trim();
        var ended = new AgentTaskFinished(AgentTaskStatus.Cancelled, reason is null ? "The plan was rejected." : $"The plan was rejected: {reason}", "No commits", null, now);
        stream!.AppendOne(new PlanRejected(command.UserId, reason, now));
        stream.AppendOne(ended);
        await logs.SystemAsync(command.TaskId, "Plan rejected: the task is cancelled and its workspace released.", TaskLogLevel.Warn, ct);
        outgoing.ToWorkspaceOf(stream.Aggregate!, new ReleaseWorkspace(command.TaskId), node, session);
        outgoing.Add(new AgentTaskStatusChanged(command.TaskId, AgentTaskStatus.Cancelled));
        return (Result<AgentTaskView>.Ok(AgentTaskView.From(stream.Aggregate!.Apply(ended))), outgoing);
    }

    public static async Task<OutgoingMessages> Handle(ExpirePlanApproval command, IDocumentSession session, TaskLogWriter logs, PlanApprovalOptions options,
        CatalystNode node, TimeProvider clock, CancellationToken ct)
    {
        var stream = await session.Events.FetchForWriting<AgentTask>(command.TaskId, ct);
        // Approved, rejected, cancelled, or a later plan: nothing to expire.
        if (stream.Aggregate is not { Status: AgentTaskStatus.AwaitingApproval } task || task.PlanExpiresAt != command.ExpiresAt) return [];
        var error = $"The plan was not approved within {Describe(options.WaitLimit)}; the task ended and its workspace was released. Retry it to plan again.";
        await logs.SystemAsync(task.Id, error, TaskLogLevel.Warn, ct);
        stream.AppendOne(new AgentTaskFinished(AgentTaskStatus.Cancelled, error, "No commits", null, clock.GetUtcNow()));
        var outgoing = new OutgoingMessages();
        outgoing.ToWorkspaceOf(task, new ReleaseWorkspace(task.Id), node, session);
        outgoing.Add(new AgentTaskStatusChanged(task.Id, AgentTaskStatus.Cancelled));
        return outgoing;
    }

    private static async Task<(IEventStream<AgentTask>?, Result<AgentTaskView>?)> WaitingTask(IDocumentSession session, IMessageBus bus, Guid userId, Guid taskId,
        CancellationToken ct)
    {
        if (taskId == Guid.Empty) return (null, Result<AgentTaskView>.NotFound("The task"));
        var stream = await session.Events.FetchForWriting<AgentTask>(taskId, ct);
        if (stream.Aggregate is not { } task || !await TaskAccess.CanSee(bus, userId, task, ct)) return (null, Result<AgentTaskView>.NotFound("The task"));
        if (task.RefusesActions() is { } readOnly) return (null, Result<AgentTaskView>.Fail(readOnly));
        if (task.Status != AgentTaskStatus.AwaitingApproval)
        {
            var why = !task.PlanFirst ? "This task did not ask for a plan." : $"Its plan is not waiting for approval: the task is {task.Status.Name()}.";
            return (null, Result<AgentTaskView>.Fail(new CommandError("", why, ErrorKind.Conflict)));
        }
        return (stream, null);
    }

    public static string Describe(TimeSpan limit) => limit.TotalHours >= 1 ? $"{limit.TotalHours:0.#} hours"
        : limit.TotalMinutes >= 1 ? $"{limit.TotalMinutes:0.#} minutes" : $"{limit.TotalSeconds:0.#} seconds";
}
