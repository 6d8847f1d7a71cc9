using Catalyst.Tasks.Domain;
using Catalyst.Tasks.Logs;
using Catalyst.Tasks.Nodes;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Tasks;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Catalyst.Tests.Operations;

/// <summary>
/// What a live node does about the tasks of a node whose heartbeat stopped: with the local backend their workspaces died with
/// it, so they end failed with the reason; a live node's tasks, and with the Kubernetes backend every task, are left running.
/// </summary>
public sealed class tasks_of_a_node_that_stopped_answering(AppFixture fixture) : IntegrationContext(fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private async Task<Guid> RunningOn(string node)
    {
        var id = Guid.CreateVersion7();
        var now = DateTimeOffset.UtcNow;
        await using var session = Store.LightweightSession();
        session.Events.StartStream<AgentTask>(id,
            new AgentTaskCreated(id, Guid.NewGuid(), "nodes", "feature-dev", TaskContext.Manual, ScriptAgent.Name, "Script agent", Guid.NewGuid(), "script",
                "sleep 300", Guid.NewGuid(), now, null, 600),
            new AgentTaskQueued(now), new WorkspaceRequested(now, node), new AgentRunStarted(now));
        await session.SaveChangesAsync();
        return id;
    }

    /// <summary>
    /// A node last heard 45 s ago: silent past this test's 30 s timeout, though not past the 60 s of the test Host's own
    /// heartbeat, which therefore leaves its tasks to this test.
    /// </summary>
    private async Task<string> SilentNode()
    {
        var id = $"silent-{Guid.NewGuid():N}";
        await using var connection = Store.Storage.Database.CreateConnection();
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            $"insert into {NodeRegistry.Table} (id, started_at, seen_at) values ($1, now() - interval '1 hour', now() - interval '45 seconds')", connection);
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = id });
        await command.ExecuteNonQueryAsync();
        return id;
    }

    private async Task SweepAs(CatalystNode here)
    {
        await using var session = Store.LightweightSession();
        await EndTasksOfLostNodesHandler.Handle(new EndTasksOfLostNodes(), session, here, new NodeRegistry(Store, here),
            Host.Services.GetRequiredService<TaskLogWriter>(), TimeProvider.System, NullLogger<EndTasksOfLostNodes>.Instance, CancellationToken.None);
        await session.SaveChangesAsync();
    }

    private async Task<AgentTask> Load(Guid id)
    {
        await using var session = Store.QuerySession();
        return (await session.LoadAsync<AgentTask>(id))!;
    }

    [Fact]
    public async Task a_silent_nodes_local_tasks_end_failed_with_the_reason_and_a_live_nodes_keep_running()
    {
        var alive = new CatalystNode($"alive-{Guid.NewGuid():N}", Timeout);
        await new NodeRegistry(Store, alive).BeatAsync(starting: true, CancellationToken.None);
        var silent = await SilentNode();
        var lost = await RunningOn(silent);
        var kept = await RunningOn(alive.Id);

        await SweepAs(new CatalystNode($"here-{Guid.NewGuid():N}", Timeout));

        var ended = await Load(lost);
        ended.Status.ShouldBe(AgentTaskStatus.Failed);
        ended.Error.ShouldBe(EndTasksOfLostNodesHandler.LostMessage(silent, Timeout));
        (await Host.Services.LogsAsync(lost)).ShouldContain(l => l.Message == ended.Error && l.Level == TaskLogLevel.Error);
        (await Load(kept)).Status.ShouldBe(AgentTaskStatus.Running);
    }

    [Fact]
    public async Task with_the_kubernetes_backend_a_silent_nodes_tasks_keep_running_on_the_cluster()
    {
        var task = await RunningOn(await SilentNode());

        await SweepAs(new CatalystNode($"here-{Guid.NewGuid():N}", Timeout, runsLocalWorkspaces: false));

        (await Load(task)).Status.ShouldBe(AgentTaskStatus.Running);
    }
}
