using System.Collections.Concurrent;
using Marten;
using Npgsql;
using NpgsqlTypes;

namespace Catalyst.Tasks.Logs;

/// <summary>
/// Numbers and stores log lines (binary COPY: hundreds of thousands of lines a second), then hands them to live viewers.
/// The numbers come from the database in the transaction that stores the lines, under a lock of the task's own, so Hosts
/// sharing one database never hand out the same number or leave a gap; within a node, one writer per task at a time.
/// </summary>
public sealed class TaskLogWriter(IDocumentStore store, TaskLiveFeed feed, TaskFeedAcrossNodes nodes, TimeProvider clock, Metrics.TaskMetrics metrics)
{
    public const string Table = "tasks.agent_task_logs";

    private readonly ConcurrentDictionary<Guid, SemaphoreSlim> _writers = new();

    public Task SystemAsync(Guid taskId, string message, TaskLogLevel level, CancellationToken ct) =>
        WriteAsync(taskId, [new NewLogEntry(clock.GetUtcNow(), level, TaskLogKinds.System, message)], ct);

    public async Task<IReadOnlyList<AgentTaskLog>> WriteAsync(Guid taskId, IReadOnlyList<NewLogEntry> entries, CancellationToken ct)
    {
        if (entries.Count == 0) return [];
        var writer = _writers.GetOrAdd(taskId, _ => new SemaphoreSlim(1, 1));
        await writer.WaitAsync(ct);
        try
        {
            await using var connection = store.Storage.Database.CreateConnection();
            await connection.OpenAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            var next = await LockAndReadLastAsync(connection, transaction, taskId, entries.Count, ct);

            var stored = new List<AgentTaskLog>(entries.Count);
            foreach (var e in entries) stored.Add(new AgentTaskLog(taskId, ++next, e.At, e.Level, e.Kind, e.Message, e.Metadata));
            await CopyAsync(connection, stored, ct);
            await transaction.CommitAsync(ct);
            metrics.LogLines.Add(stored.Count);
            feed.Publish(taskId, stored);
            return stored;
        }
        finally
        {
            writer.Release();
        }
    }

    /// <summary>A finished task writes no more: drop its counter.</summary>
    public void Forget(Guid taskId) => _writers.TryRemove(taskId, out _);

    /// <summary>
    /// One round trip: the task's lock, held until the transaction ends (its next numbers are this writer's, on whichever
    /// node), then its last stored number, read after the lock (each statement of a batch reads what was committed before
    /// it ran), and the other nodes told how far the lines will go once committed.
    /// </summary>
    private async Task<long> LockAndReadLastAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid taskId, int lines, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        var lockTask = new NpgsqlBatchCommand("select pg_advisory_xact_lock($1)");
        lockTask.Parameters.Add(new NpgsqlParameter { Value = BitConverter.ToInt64(taskId.ToByteArray(), 8) });
        batch.BatchCommands.Add(lockTask);
        batch.BatchCommands.Add(nodes.LinesStored(Table, taskId, lines));
        await using var reader = await batch.ExecuteReaderAsync(ct);
        await reader.NextResultAsync(ct);
        await reader.ReadAsync(ct);
        return reader.GetInt64(0);
    }

    private static async Task CopyAsync(NpgsqlConnection connection, IReadOnlyList<AgentTaskLog> lines, CancellationToken ct)
    {
        await using var importer = await connection.BeginBinaryImportAsync(
            $"copy {Table} (task_id, seq, ts, level, kind, message, metadata) from stdin (format binary)", ct);
        foreach (var line in lines)
        {
            await importer.StartRowAsync(ct);
            await importer.WriteAsync(line.TaskId, NpgsqlDbType.Uuid, ct);
            await importer.WriteAsync(line.Sequence, NpgsqlDbType.Bigint, ct);
            await importer.WriteAsync(line.Timestamp, NpgsqlDbType.TimestampTz, ct);
            await importer.WriteAsync(line.LevelName, NpgsqlDbType.Text, ct);
            await importer.WriteAsync(line.Kind, NpgsqlDbType.Text, ct);
            await importer.WriteAsync(line.Message.Replace("\0", ""), NpgsqlDbType.Text, ct);
            if (line.Metadata is null) await importer.WriteNullAsync(ct);
            else await importer.WriteAsync(line.Metadata, NpgsqlDbType.Jsonb, ct);
        }
        await importer.CompleteAsync(ct);
    }
}
