using System.Collections.Concurrent;
using Catalyst.Contracts;
using Catalyst.Tasks.Domain;
using Catalyst.Tasks.Logs;
using Catalyst.Tasks.Queue;
using Marten;
using Wolverine;

namespace Catalyst.Tasks;

/// <summary>What the workspace backend reports, turned into the task's history and log.</summary>
public static class WorkspaceLifecycleHandler
{
    public static async Task<OutgoingMessages> Handle(WorkspaceProvisioned message, IDocumentSession session, TaskLogWriter logs, CancellationToken ct)
    {
        var stream = await session.Events.FetchForWriting<AgentTask>(message.TaskId, ct);
        if (stream.Aggregate is not { Status: AgentTaskStatus.Provisioning }) return [];
        stream.AppendOne(new WorkspaceReady(message.Location, message.At));
        await logs.SystemAsync(message.TaskId, "Workspace ready.", TaskLogLevel.Info, ct);
        return [];
    }

    public static async Task<OutgoingMessages> Handle(AgentStarted message, IDocumentSession session, CancellationToken ct)
    {
        var stream = await session.Events.FetchForWriting<AgentTask>(message.TaskId, ct);
        if (stream.Aggregate is not { Status: AgentTaskStatus.Provisioning }) return [];
        stream.AppendOne(new AgentRunStarted(message.At));
        return [new AgentTaskStatusChanged(message.TaskId, AgentTaskStatus.Running)];
    }

    // A query session: the lines go through the log writer's own transaction, so the handler needs none of Wolverine's.
    public static async Task Handle(AgentOutput message, IQuerySession session, TaskLogWriter logs, OutputInterpreter interpreter,
        OutputFormats formats, IMessageBus bus, CancellationToken ct)
    {
        var format = await formats.ForAsync(message.TaskId, session, bus, ct);
        var entries = interpreter.Read(format, message.Lines);
        // The usage a CLI prints is only a log line: the task's totals are the broker's exact figures (LlmUsageMetered).
        await logs.WriteAsync(message.TaskId, entries, ct);
    }

    public static async Task<OutgoingMessages> Handle(WorkspaceExited message, IDocumentSession session, TaskLogWriter logs, TaskLogReader reader,
        OutputFormats formats, IMessageBus bus, PlanApprovalOptions approval, CancellationToken ct)
    {
        var stream = await session.Events.FetchForWriting<AgentTask>(message.TaskId, ct);
        var task = stream.Aggregate;
        if (task is null || task.Status.IsFinished()) return [];
        var planning = task.NextPhase == WorkspacePhase.Plan;

        // A failed pre-hook stopped the runner before the agent: there is nothing to capture; a plan phase captures nothing.
        if (message.Result is { PreHookFailure: null } result && !planning)
        {
            stream.AppendOne(new CommitsCaptured(result.Branch, result.Commits, result.Pushed, result.PushError, message.At));
            var pushed = result.Pushed ? $"pushed to {result.Branch}" : $"not pushed: {result.PushError ?? "no changes"}";
            await logs.SystemAsync(task.Id, $"{Plural(result.Commits.Count, "commit")} captured, {pushed}.",
                result.Pushed || result.Commits.Count == 0 ? TaskLogLevel.Info : TaskLogLevel.Warn, ct);
        }
        if (message.Result?.PostHookFailure is { } postHook)
        {
            stream.AppendOne(new PostHookFailed(postHook, message.At));
            await logs.SystemAsync(task.Id, postHook.Describe(), TaskLogLevel.Warn, ct);
        }

        // What the agent itself reported as its error (read from its output by the provider's adapter) says more than stderr.
        var agentError = message.End is WorkspaceEnd.Exited or WorkspaceEnd.Failed && message.ExitCode is not (null or 0)
            ? (await reader.ReadAsync(task.Id, new TaskLogReader.Filter(Levels: [TaskLogLevel.Error], Limit: 10_000), ct)).LastOrDefault()?.Message
            : null;
        var (status, error) = Outcome(task, message, agentError);
        if (planning && status == AgentTaskStatus.Completed)
        {
            var format = await formats.ForAsync(task.Id, session, bus, ct);
            var written = await reader.ReadAsync(task.Id, new TaskLogReader.Filter(Kinds: [TaskLogKinds.AgentMessage, TaskLogKinds.ToolCall], Limit: 10_000), ct);
            if (PlanPhase.PlanOf(written, format) is { } plan)
            {
                var expires = message.At + approval.WaitLimit;
                stream.AppendOne(new PlanProposed(plan, message.At, expires));
                await logs.SystemAsync(task.Id, $"Plan ready: waiting for approval (at most {PlanApprovalHandler.Describe(approval.WaitLimit)}; no slot is held meanwhile).",
                    TaskLogLevel.Info, ct);
                return [new AgentTaskStatusChanged(task.Id, AgentTaskStatus.AwaitingApproval), new StartQueuedTasks(),
                    new ExpirePlanApproval(task.Id, expires).DelayedFor(approval.WaitLimit)];
            }
            (status, error) = (AgentTaskStatus.Failed, "The agent ended its plan phase without writing a plan. Retry the task, or run it without a plan.");
        }
        var summary = message.Result is { Commits.Count: > 0 } r ? $"{Plural(r.Commits.Count, "commit")} on {r.Branch}" : "No commits";
        await logs.SystemAsync(task.Id, status switch
        {
            AgentTaskStatus.Completed => $"Task completed: {summary}.",
            _ => $"Task ended {status.Name()}: {error}",
        }, status is AgentTaskStatus.Completed or AgentTaskStatus.Cancelled ? TaskLogLevel.Info : TaskLogLevel.Error, ct);

        var exitCode = message.Result?.PreHookFailure is null ? message.ExitCode : null; // the agent never ran
        stream.AppendOne(new AgentTaskFinished(status, error, summary, exitCode, message.At));
        formats.Forget(task.Id);
        // A plan phase that wrote no plan leaves a kept workspace behind.
        return planning ? [new AgentTaskStatusChanged(task.Id, status), new StartQueuedTasks(), new ReleaseWorkspace(task.Id)]
            : [new AgentTaskStatusChanged(task.Id, status), new StartQueuedTasks()];
    }

    /// <summary>The pure part: how the way a workspace ended becomes the task's status and the message a user can act on.</summary>
    public static (AgentTaskStatus Status, string? Error) Outcome(AgentTask task, WorkspaceExited exit, string? agentError = null) => exit.End switch
    {
        // Stopped at its budget: however the agent took the refusal, that is why the task ended.
        _ when task.BudgetMessage is { } budget => (AgentTaskStatus.Failed, budget),
        WorkspaceEnd.Exited or WorkspaceEnd.Failed when exit.Result?.PreHookFailure is { } hook => (AgentTaskStatus.Failed, hook.Describe()),
        WorkspaceEnd.Exited when exit.ExitCode == 0 => (AgentTaskStatus.Completed, null),
        WorkspaceEnd.Exited or WorkspaceEnd.Failed when exit.ExitCode is not null => (AgentTaskStatus.Failed,
            (agentError ?? exit.Error) is not { Length: > 0 } said || string.IsNullOrWhiteSpace(said)
                ? $"The agent exited with code {exit.ExitCode}." : $"The agent exited with code {exit.ExitCode}: {said.Trim()}"),
        WorkspaceEnd.Cancelled when task.CancelRequested => (AgentTaskStatus.Cancelled, "Cancelled; the agent was stopped."),
        // Stopped by no one's request (the Host shut down): a failure the user can retry, with the reason.
        WorkspaceEnd.Cancelled => (AgentTaskStatus.Failed, exit.Error ?? "The agent was stopped before it finished. Retry the task to run it again."),
        WorkspaceEnd.TimedOut => (AgentTaskStatus.TimedOut,
            $"Stopped at the project's time limit of {task.TimeoutSeconds} s. Raise the limit in the project's settings, or narrow the instructions."),
        _ => (AgentTaskStatus.Failed, exit.Error ?? "The workspace failed."),
    };

    private static string Plural(int n, string word) => n == 1 ? $"1 {word}" : $"{n} {word}s";
}

/// <summary>Which output format each running task's CLI prints, remembered so a log batch costs no lookup.</summary>
public sealed class OutputFormats
{
    private readonly ConcurrentDictionary<Guid, string> _formats = new();

    public async ValueTask<string> ForAsync(Guid taskId, IQuerySession session, IMessageBus bus, CancellationToken ct)
    {
        if (_formats.TryGetValue(taskId, out var format)) return format;
        var task = await session.LoadAsync<AgentTask>(taskId, ct);
        var provider = task is null ? null : await bus.InvokeAsync<AgentProviderInfo?>(new GetAgentProvider(task.Provider), ct);
        format = provider?.Launch.OutputFormat ?? "text";
        _formats[taskId] = format;
        return format;
    }

    /// <summary>Said when the workspace is asked for, so the agent's first output is read without a look-up.</summary>
    public void Remember(Guid taskId, string format) => _formats[taskId] = format;

    /// <summary>The task ended: nothing more to read for it (a late batch looks the format up again).</summary>
    public void Forget(Guid taskId) => _formats.TryRemove(taskId, out _);
}
