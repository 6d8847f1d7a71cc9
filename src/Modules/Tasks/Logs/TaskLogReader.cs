using Marten;
using Npgsql;

namespace Catalyst.Tasks.Logs;

/// <summary>Reads a task's log in sequence order, with the filters the page, the SSE stream and MCP share.</summary>
public sealed class TaskLogReader(IDocumentStore store)
{
    public sealed record Filter(long AfterSequence = 0, IReadOnlyCollection<TaskLogLevel>? Levels = null,
        DateTimeOffset? Since = null, DateTimeOffset? Until = null, int Limit = 500, long? BeforeSequence = null,
        IReadOnlyCollection<string>? Kinds = null);

    public async Task<IReadOnlyList<AgentTaskLog>> ReadAsync(Guid taskId, Filter filter, CancellationToken ct)
    {
        var sql = $"select seq, ts, level, kind, message, metadata::text from {TaskLogWriter.Table} where task_id = @task and seq > @after";
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand { Connection = connection };
        command.Parameters.AddWithValue("task", taskId);
        command.Parameters.AddWithValue("after", filter.AfterSequence);
        if (filter.BeforeSequence is { } before)
        {
            sql += " and seq < @before";
            command.Parameters.AddWithValue("before", before);
        }
        if (filter.Levels is { Count: > 0 } levels)
        {
            sql += " and level = any(@levels)";
            command.Parameters.AddWithValue("levels", levels.Select(l => l.ToString().ToLowerInvariant()).ToArray());
        }
        if (filter.Kinds is { Count: > 0 } kinds)
        {
            sql += " and kind = any(@kinds)";
            command.Parameters.AddWithValue("kinds", kinds.ToArray());
        }
        if (filter.Since is { } since)
        {
            sql += " and ts >= @since";
            command.Parameters.AddWithValue("since", since);
        }
        if (filter.Until is { } until)
        {
            sql += " and ts <= @until";
            command.Parameters.AddWithValue("until", until);
        }
        sql += " order by seq limit @limit";
        command.Parameters.AddWithValue("limit", Math.Clamp(filter.Limit, 1, 10_000));
        command.CommandText = sql;

        var lines = new List<AgentTaskLog>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            lines.Add(new AgentTaskLog(taskId, reader.GetInt64(0), reader.GetFieldValue<DateTimeOffset>(1),
                Enum.Parse<TaskLogLevel>(reader.GetString(2), ignoreCase: true), reader.GetString(3), reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5)));
        }
        return lines;
    }

    public async Task<long> CountAsync(Guid taskId, CancellationToken ct)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand($"select count(*) from {TaskLogWriter.Table} where task_id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = taskId });
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }
}
