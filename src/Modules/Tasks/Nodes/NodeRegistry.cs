using Marten;
using Npgsql;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;

namespace Catalyst.Tasks.Nodes;

/// <summary>
/// The Hosts of this database and when each last said it is alive (<c>tasks.nodes</c>), by the database's clock so the
/// nodes' clocks need not agree.
/// </summary>
public sealed class NodeRegistry(IDocumentStore store, CatalystNode node)
{
    public const string Table = "tasks.nodes";

    public static Table Schema()
    {
        var table = new Table(new PostgresqlObjectName(TasksModule.Schema, "nodes", SchemaUtils.IdentifierUsage.General));
        table.AddColumn<string>("id").AsPrimaryKey();
        table.AddColumn<DateTimeOffset>("started_at").NotNull();
        table.AddColumn<DateTimeOffset>("seen_at").NotNull();
        return table;
    }

    /// <summary>This node is alive now; <paramref name="starting"/>: it (re)started now.</summary>
    public async Task BeatAsync(bool starting, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            $"insert into {Table} (id, started_at, seen_at) values ($1, now(), now()) " +
            $"on conflict (id) do update set seen_at = now(){(starting ? ", started_at = now()" : "")}", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = node.Id });
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The nodes whose heartbeat is within the timeout (this one included once it has beaten).</summary>
    public async Task<IReadOnlySet<string>> AliveAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = new NpgsqlCommand($"select id from {Table} where seen_at >= now() - make_interval(secs => $1)", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = node.HeartbeatTimeout.TotalSeconds });
        var alive = new HashSet<string>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) alive.Add(reader.GetString(0));
        return alive;
    }

    /// <summary>
    /// Forgets nodes silent for ten timeouts and the mail no known node will read. A forgotten node that comes back
    /// registers again; its tasks were ended long before.
    /// </summary>
    public async Task ForgetLongDeadAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using (var nodes = new NpgsqlCommand($"delete from {Table} where seen_at < now() - make_interval(secs => $1)", connection))
        {
            nodes.Parameters.Add(new NpgsqlParameter { Value = node.HeartbeatTimeout.TotalSeconds * 10 });
            await nodes.ExecuteNonQueryAsync(ct);
        }
        await using var mail = new NpgsqlCommand($"delete from {NodeMail.Table} m where not exists (select 1 from {Table} n where n.id = m.node)", connection);
        await mail.ExecuteNonQueryAsync(ct);
    }

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken ct)
    {
        var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        return connection;
    }
}
