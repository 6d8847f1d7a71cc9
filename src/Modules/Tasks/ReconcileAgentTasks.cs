using Catalyst.Contracts;
using Catalyst.Tasks.Domain;
using Catalyst.Tasks.Logs;
using Catalyst.Tasks.Nodes;
using Catalyst.Tasks.Queue;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Wolverine;

namespace Catalyst.Tasks;

/// <summary>
/// Sent once the Host has started: settle the tasks of this node (or of the cluster) that were provisioning or running when it
/// stopped, then start the queue. Another node's tasks are left to it; a dead node's are ended by <see cref="EndTasksOfLostNodes"/>.
/// </summary>
public sealed record ReconcileAgentTasks;

public static class ReconcileAgentTasksHandler
{
    /// <summary>Said on a task whose end was read back from its workspace after the Host started again.</summary>
    public const string ReadBackMessage = "The Catalyst host stopped before it had stored how this task's workspace ended; " +
        "the runner's report was read back from the workspace when the host started again.";

    public static async Task<OutgoingMessages> Handle(ReconcileAgentTasks _, IDocumentSession session, IMessageBus bus, TaskLogWriter logs,
        TaskLogReader reader, OutputFormats formats, PlanApprovalOptions approval,
        CatalystNode node, TimeProvider clock, ILogger<ReconcileAgentTasks> logger, CancellationToken ct)
    {
        var outgoing = new OutgoingMessages { new StartQueuedTasks() };
        var active = await session.Query<AgentTask>()
            .Where(t => t.Status == AgentTaskStatus.Provisioning || t.Status == AgentTaskStatus.Running).ToListAsync(ct);
        // A parallel request has no workspace (its status follows its runs); another node's local workspace is not ours to ask about.
        // Only workspaces asked for before this process started: a task this run just started may not be registered yet.
        foreach (var task in active.Where(t => !t.IsParallel && node.Reaches(t) && (t.WorkspaceRequestedAt ?? t.CreatedAt) < node.StartedAt))
        {
            var state = await bus.InvokeAsync<WorkspaceState>(new QueryWorkspace(task.Id), ct);
            if (state == WorkspaceState.Running) continue;
            if (state == WorkspaceState.Unknown)
            {
                logger.LogWarning("The workspace backend does not know what became of task {TaskId}; leaving it {Status}", task.Id, task.Status.Name());
                continue;
            }
            // The workspace ended while the Host was down or before it could store the end (the database was down when it was
            // killed): the end kept on disk says how, commits and push included.
            if (node.RunsLocalWorkspaces && await bus.InvokeAsync<WorkspaceExited?>(new ReadKeptWorkspaceExit(task.Id), ct) is { } kept)
            {
                logger.LogWarning("Task {TaskId} ended while the host was down; its end was read back from its workspace", task.Id);
                await logs.SystemAsync(task.Id, ReadBackMessage, TaskLogLevel.Warn, ct);
                var settled = await WorkspaceLifecycleHandler.Handle(kept, session, logs, reader, formats, bus, approval, ct);
                outgoing.AddRange(settled);
                outgoing.Add(new ForgetKeptWorkspaceExit(task.Id));
                // Whatever is left of its directory goes, unless a plan waits in it for approval.
                if (settled.OfType<AgentTaskStatusChanged>().Any(c => c.Status.IsFinished())) outgoing.Add(new ReleaseWorkspace(task.Id));
                continue;
            }
            var error = node.RunsLocalWorkspaces
                ? $"The Catalyst host stopped (killed or crashed) while this task was {task.Status.Name()}. Its agent was stopped when the host " +
                  "started again and its workspace was removed; commits the agent had not pushed are lost. Retry the task to run it again."
                : $"Catalyst stopped while this task was {task.Status.Name()}, and its workspace is gone. Retry the task to run it again.";
            await logs.SystemAsync(task.Id, error, TaskLogLevel.Error, ct);
            var stream = await session.Events.FetchForWriting<AgentTask>(task.Id, ct);
            stream.AppendOne(new AgentTaskFinished(AgentTaskStatus.Failed, error, "No commits", null, clock.GetUtcNow()));
            outgoing.Add(new AgentTaskStatusChanged(task.Id, AgentTaskStatus.Failed));
            // What the stopped agent left on disk goes with it (kept only with KeepWorkspaces).
            if (node.RunsLocalWorkspaces) outgoing.Add(new ReleaseWorkspace(task.Id));
        }
        return outgoing;
    }
}

public sealed class ReconcileOnStartup(IHostApplicationLifetime lifetime, IServiceScopeFactory scopes, ILogger<ReconcileOnStartup> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() => _ = Task.Run(async () =>
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<IMessageBus>().InvokeAsync(new ReconcileAgentTasks(), lifetime.ApplicationStopping);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Could not reconcile agent tasks at start-up");
            }
        }));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
