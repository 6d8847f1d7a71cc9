using System.Collections.Concurrent;
using Marten;
using Npgsql;
using NpgsqlTypes;

namespace Catalyst.Tasks.Logs;

/// <summary>
/// Numbers and stores log lines (binary COPY: hundreds of thousands of lines a second), then hands them to live viewers.
/// One writer per task at a time keeps the sequence gap-free.
/// </summary>
public sealed class TaskLogWriter(IDocumentStore store, TaskLiveFeed feed, TimeProvider clock, Metrics.TaskMetrics metrics)
{
    public const string Table = "tasks.agent_task_logs";

    private readonly ConcurrentDictionary<Guid, TaskSequence> _sequences = new();

    private sealed class TaskSequence
    {
        public readonly SemaphoreSlim Lock = new(1, 1);
        public long? Last;
    }

    public Task SystemAsync(Guid taskId, string message, TaskLogLevel level, CancellationToken ct) =>
        WriteAsync(taskId, [new NewLogEntry(clock.GetUtcNow(), level, TaskLogKinds.System, message)], ct);

    public async Task<IReadOnlyList<AgentTaskLog>> WriteAsync(Guid taskId, IReadOnlyList<NewLogEntry> entries, CancellationToken ct)
    {
        if (entries.Count == 0) return [];
        var sequence = _sequences.GetOrAdd(taskId, _ => new TaskSequence());
        await sequence.Lock.WaitAsync(ct);
        try
        {
            await using var connection = store.Storage.Database.CreateConnection();
            await connection.OpenAsync(ct);
            sequence.Last ??= await LastSequenceAsync(connection, taskId, ct);

            var stored = new List<AgentTaskLog>(entries.Count);
            var next = sequence.Last.Value;
            foreach (var e in entries) stored.Add(new AgentTaskLog(taskId, ++next, e.At, e.Level, e.Kind, e.Message, e.Metadata));
            try
            {
                await CopyAsync(connection, stored, ct);
            }
            catch
            {
                sequence.Last = null; // re-read on the next write, so a failed write leaves no gap
                throw;
            }
            sequence.Last = next;
            metrics.LogLines.Add(stored.Count);
            feed.Publish(taskId, stored);
            return stored;
        }
        finally
        {
            sequence.Lock.Release();
        }
    }

    /// <summary>A finished task writes no more: drop its counter.</summary>
    public void Forget(Guid taskId) => _sequences.TryRemove(taskId, out _);

    private static async Task<long> LastSequenceAsync(NpgsqlConnection connection, Guid taskId, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"select coalesce(max(seq), 0) from {Table} where task_id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = taskId });
        return (long)(await command.ExecuteScalarAsync(ct))!;
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
