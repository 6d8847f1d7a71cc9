using System.Text.Json;
using Catalyst.Tasks.Domain;
using Marten;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;
using Wolverine;
using Wolverine.Runtime;

namespace Catalyst.Tasks.Nodes;

/// <summary>
/// Messages for the node that runs a task's local workspace (start its approved plan, stop it, release it), when another
/// node decided them. They are stored in <c>tasks.node_mail</c> in the transaction of the decision and announced on the
/// channel <c>catalyst_node_mail</c>; the addressee hands them to its own workspaces and deletes them. A node that was not
/// listening reads its mail when it listens again.
/// </summary>
public static class NodeMail
{
    public const string Table = "tasks.node_mail";
    public const string Channel = "catalyst_node_mail";

    /// <summary>Only these travel between nodes: what a workspace backend is asked to do.</summary>
    private static readonly Dictionary<string, Type> Kinds =
        new[] { typeof(ProvisionWorkspace), typeof(StopWorkspace), typeof(ReleaseWorkspace) }.ToDictionary(t => t.Name);

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static Table Schema()
    {
        var table = new Table(new PostgresqlObjectName(TasksModule.Schema, "node_mail", SchemaUtils.IdentifierUsage.General));
        table.AddColumn("id", "bigserial").AsPrimaryKey();
        table.AddColumn<string>("node").NotNull().AddIndex();
        table.AddColumn<string>("kind").NotNull();
        table.AddColumn<string>("body").NotNull();
        table.AddColumn("sent_at", "timestamptz").NotNull().DefaultValueByExpression("now()");
        return table;
    }

    /// <summary>
    /// Sends <paramref name="message"/> to the node that reaches the task's workspace: in process when that is this node,
    /// otherwise through the database, with the session's changes.
    /// </summary>
    public static void ToWorkspaceOf(this OutgoingMessages outgoing, AgentTask task, object message, CatalystNode node, IDocumentSession session)
    {
        if (node.Reaches(task)) outgoing.Add(message);
        else Send(session, task.Node!, message);
    }

    public static void Send(IDocumentSession session, string to, object message)
    {
        var kind = message.GetType().Name;
        if (!Kinds.ContainsKey(kind)) throw new ArgumentException($"{kind} is not sent between nodes.", nameof(message));
        // One statement that returns no rows (the session's batch reads the results of its other commands); the notice is
        // delivered when the transaction commits, and not at all if it rolls back.
        session.QueueSqlCommand($"insert into {Table} (node, kind, body) select ?, ?, ? from (select pg_notify(?, ?)) announced",
            to, kind, JsonSerializer.Serialize(message, message.GetType(), Json), Channel, to);
    }

    /// <summary>The pure part: a stored message back as the message it was, or null for a kind that does not travel.</summary>
    public static object? Read(string kind, string body) =>
        Kinds.TryGetValue(kind, out var type) ? JsonSerializer.Deserialize(body, type, Json) : null;
}

/// <summary>Reads this node's mail when it is announced (and every heartbeat interval, for anything missed) and publishes it here.</summary>
public sealed class NodeMailbox(IDocumentStore store, CatalystNode node, IWolverineRuntime runtime, ILogger<NodeMailbox> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var connected = true;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = store.Storage.Database.CreateConnection();
                await connection.OpenAsync(stoppingToken);
                await using (var listen = new NpgsqlCommand($"listen {NodeMail.Channel}", connection)) await listen.ExecuteNonQueryAsync(stoppingToken);
                if (!connected) logger.LogInformation("Reading node mail again");
                connected = true;
                while (!stoppingToken.IsCancellationRequested)
                {
                    await DeliverAsync(stoppingToken);
                    // Any notice wakes it (another node's mail costs one empty read); silence still reads every interval.
                    await connection.WaitAsync(node.HeartbeatInterval, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                if (connected) logger.LogWarning("Could not read node mail: {Reason}; retrying", e.Message);
                connected = false;
                try { await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    /// <summary>Publishes this node's waiting mail in the order it was sent, deleting each once it is handed over.</summary>
    public async Task DeliverAsync(CancellationToken ct)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var letters = new List<(long Id, string Kind, string Body)>();
        await using (var select = new NpgsqlCommand(
            $"select id, kind, body from {NodeMail.Table} where node = $1 order by id limit 100 for update skip locked", connection, transaction))
        {
            select.Parameters.Add(new NpgsqlParameter { Value = node.Id });
            await using var reader = await select.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) letters.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2)));
        }
        if (letters.Count == 0) return;
        var bus = new MessageBus(runtime);
        foreach (var (_, kind, body) in letters)
        {
            if (NodeMail.Read(kind, body) is { } message)
            {
                logger.LogInformation("Node mail: {Kind} from another node", kind);
                await bus.PublishAsync(message);
            }
            else logger.LogWarning("Node mail of an unknown kind {Kind} dropped", kind);
        }
        await using (var delete = new NpgsqlCommand($"delete from {NodeMail.Table} where id = any($1)", connection, transaction))
        {
            delete.Parameters.Add(new NpgsqlParameter { Value = letters.Select(l => l.Id).ToArray() });
            await delete.ExecuteNonQueryAsync(ct);
        }
        await transaction.CommitAsync(ct);
    }
}
