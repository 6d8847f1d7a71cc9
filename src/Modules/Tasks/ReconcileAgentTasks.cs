using Catalyst.Contracts;
using Catalyst.Tasks.Domain;
using Catalyst.Tasks.Logs;
using Catalyst.Tasks.Queue;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Wolverine;

namespace Catalyst.Tasks;

/// <summary>Sent once the Host has started: settle tasks that were provisioning or running when it stopped, then start the queue.</summary>
public sealed record ReconcileAgentTasks;

public static class ReconcileAgentTasksHandler
{
    public static async Task<OutgoingMessages> Handle(ReconcileAgentTasks _, IDocumentSession session, IMessageBus bus, TaskLogWriter logs,
        TimeProvider clock, ILogger<ReconcileAgentTasks> logger, CancellationToken ct)
    {
        var outgoing = new OutgoingMessages { new StartQueuedTasks() };
        var active = await session.Query<AgentTask>()
            .Where(t => t.Status == AgentTaskStatus.Provisioning || t.Status == AgentTaskStatus.Running).ToListAsync(ct);
        foreach (var task in active.Where(t => !t.IsParallel)) // a parallel request has no workspace; its status follows its runs
        {
            var state = await bus.InvokeAsync<WorkspaceState>(new QueryWorkspace(task.Id), ct);
            if (state == WorkspaceState.Running) continue;
            if (state == WorkspaceState.Unknown)
            {
                logger.LogWarning("The workspace backend does not know what became of task {TaskId}; leaving it {Status}", task.Id, task.Status.Name());
                continue;
            }
            var error = $"Catalyst stopped while this task was {task.Status.Name()}, and its workspace is gone. Retry the task to run it again.";
            await logs.SystemAsync(task.Id, error, TaskLogLevel.Error, ct);
            var stream = await session.Events.FetchForWriting<AgentTask>(task.Id, ct);
            stream.AppendOne(new AgentTaskFinished(AgentTaskStatus.Failed, error, "No commits", null, clock.GetUtcNow()));
            outgoing.Add(new AgentTaskStatusChanged(task.Id, AgentTaskStatus.Failed));
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
