using Catalyst.Tasks.Domain;
using Catalyst.Tasks.Logs;
using Catalyst.Tasks.Queue;
using Marten;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Wolverine;
using Wolverine.Runtime;

namespace Catalyst.Tasks.Nodes;

/// <summary>
/// Says every <see cref="CatalystNode.HeartbeatInterval"/> that this node is alive, and ends the local tasks of nodes
/// that stopped saying so (<see cref="EndTasksOfLostNodes"/>). The first beat is written before the Host has started,
/// so no other node takes a starting node for a dead one.
/// </summary>
public sealed class NodeHeartbeat(NodeRegistry registry, CatalystNode node, IWolverineRuntime runtime, ILogger<NodeHeartbeat> logger) : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await registry.BeatAsync(starting: true, cancellationToken);
        logger.LogInformation("Catalyst node {Node} (heartbeat every {Interval} s, taken as dead after {Timeout} s of silence)",
            node.Id, node.HeartbeatInterval.TotalSeconds, node.HeartbeatTimeout.TotalSeconds);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var beating = true;
        var sinceCleanUp = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(node.HeartbeatInterval, stoppingToken);
                await registry.BeatAsync(starting: false, stoppingToken);
                if (!beating) logger.LogInformation("Heartbeat of node {Node} written again", node.Id);
                beating = true;
                await new MessageBus(runtime).InvokeAsync(new EndTasksOfLostNodes(), stoppingToken);
                if (++sinceCleanUp >= 100)
                {
                    sinceCleanUp = 0;
                    await registry.ForgetLongDeadAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Logged once per outage, not once per beat.
                if (beating) logger.LogWarning("Could not write the heartbeat of node {Node} or check the other nodes: {Reason}", node.Id, e.Message);
                beating = false;
            }
        }
    }
}

/// <summary>Ends the running local tasks of nodes whose heartbeat is older than the timeout.</summary>
public sealed record EndTasksOfLostNodes;

public static class EndTasksOfLostNodesHandler
{
    public static string LostMessage(string node, TimeSpan timeout) =>
        $"The Catalyst node “{node}” that ran this task stopped answering (no heartbeat for {timeout.TotalSeconds:0.#} s), " +
        "so its agent and workspace are taken as lost. Retry the task to run it again.";

    public static async Task<OutgoingMessages> Handle(EndTasksOfLostNodes _, IDocumentSession session, CatalystNode node, NodeRegistry registry,
        TaskLogWriter logs, TimeProvider clock, ILogger<EndTasksOfLostNodes> logger, CancellationToken ct)
    {
        var outgoing = new OutgoingMessages();
        // A cluster's workspaces do not depend on the node that asked for them: they keep running and report to any node.
        if (!node.RunsLocalWorkspaces) return outgoing;
        var elsewhere = (await session.Query<AgentTask>()
                .Where(t => t.Status == AgentTaskStatus.Provisioning || t.Status == AgentTaskStatus.Running).ToListAsync(ct))
            .Where(t => !t.IsParallel && t.Node is not null && t.Node != node.Id).ToList();
        if (elsewhere.Count == 0) return outgoing;
        var alive = await registry.AliveAsync(ct);
        foreach (var task in elsewhere.Where(t => !alive.Contains(t.Node!)))
        {
            var stream = await session.Events.FetchForWriting<AgentTask>(task.Id, ct);
            if (stream.Aggregate is not { } current || !current.Status.IsActive() || current.Node != task.Node) continue;
            var error = LostMessage(task.Node!, node.HeartbeatTimeout);
            logger.LogWarning("Node {Lost} stopped answering: ending its task {TaskId}", task.Node, task.Id);
            await logs.SystemAsync(task.Id, error, TaskLogLevel.Error, ct);
            stream.AppendOne(new AgentTaskFinished(AgentTaskStatus.Failed, error, "No commits", null, clock.GetUtcNow()));
            outgoing.Add(new AgentTaskStatusChanged(task.Id, AgentTaskStatus.Failed));
        }
        if (outgoing.Count > 0) outgoing.Add(new StartQueuedTasks());
        return outgoing;
    }
}
