using System.Globalization;
using Catalyst.Tasks.Domain;
using Marten;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Catalyst.Tasks.Logs;

/// <summary>
/// Carries the live feed between Hosts that share one database: each node says on the PostgreSQL channel
/// <c>catalyst_task_feed</c> what it stored or changed, and every other node tells its own viewers, who read the lines
/// from the database. A node's own viewers hear it in process, without waiting for the database.
/// </summary>
public sealed class TaskFeedAcrossNodes(IDocumentStore store, TaskLiveFeed feed, ILogger<TaskFeedAcrossNodes> logger) : BackgroundService
{
    public const string Channel = "catalyst_task_feed";
    private static readonly TimeSpan Reconnect = TimeSpan.FromSeconds(1);

    /// <summary>This process, so that it skips what it said itself.</summary>
    public string Node { get; } = Guid.NewGuid().ToString("N")[..12];

    /// <summary>
    /// The statement that says, inside the transaction that stores a task's lines (so it is heard only if they are
    /// committed), how far they go: the last stored sequence number plus <paramref name="lines"/>. It also answers that last
    /// number, for the writer, which sends it in one batch after the task's lock.
    /// </summary>
    public NpgsqlBatchCommand LinesStored(string table, Guid taskId, int lines)
    {
        var command = new NpgsqlBatchCommand(
            $"select last, pg_notify($1, $2 || (last + $3)::text) from (select coalesce(max(seq), 0) as last from {table} where task_id = $4) stored");
        command.Parameters.Add(new NpgsqlParameter { Value = Channel });
        command.Parameters.Add(new NpgsqlParameter { Value = $"{Node} logs {taskId:N} " });
        command.Parameters.Add(new NpgsqlParameter { Value = (long)lines });
        command.Parameters.Add(new NpgsqlParameter { Value = taskId });
        return command;
    }

    public Task StatusChangedAsync(Guid taskId, AgentTaskStatus status, CancellationToken ct) => SayAsync($"{Node} status {taskId:N} {(int)status}", ct);

    public Task UsageChangedAsync(Guid taskId, CancellationToken ct) => SayAsync($"{Node} usage {taskId:N}", ct);

    private async Task SayAsync(string payload, CancellationToken ct)
    {
        try
        {
            await using var connection = store.Storage.Database.CreateConnection();
            await connection.OpenAsync(ct);
            await using var command = new NpgsqlCommand("select pg_notify($1, $2)", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = Channel });
            command.Parameters.Add(new NpgsqlParameter { Value = payload });
            await command.ExecuteNonQueryAsync(ct);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            // Other nodes' viewers re-read the task every few seconds anyway; a lost notice only delays them.
            logger.LogDebug("Could not tell other nodes about a task change: {Reason}", e.Message);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var connected = true;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = store.Storage.Database.CreateConnection();
                await connection.OpenAsync(stoppingToken);
                connection.Notification += (_, e) => Heard(e.Payload);
                await using (var listen = new NpgsqlCommand($"listen {Channel}", connection)) await listen.ExecuteNonQueryAsync(stoppingToken);
                if (!connected) logger.LogInformation("Listening to other nodes' task changes again");
                connected = true;
                // Anything said while this node was not listening: every viewer re-reads its task.
                feed.ResyncAll();
                while (!stoppingToken.IsCancellationRequested) await connection.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                if (connected) logger.LogWarning("Stopped hearing other nodes' task changes: {Reason}; retrying", e.Message);
                connected = false;
                try { await Task.Delay(Reconnect, stoppingToken); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    private void Heard(string payload)
    {
        var parts = payload.Split(' ');
        if (parts.Length < 3 || parts[0] == Node || !Guid.TryParseExact(parts[2], "N", out var taskId)) return;
        switch (parts[1])
        {
            case "logs" when parts.Length == 4 && long.TryParse(parts[3], CultureInfo.InvariantCulture, out var upTo):
                feed.StoredElsewhere(taskId, upTo);
                break;
            case "status" when parts.Length == 4 && int.TryParse(parts[3], CultureInfo.InvariantCulture, out var status):
                feed.StatusChanged(taskId, (AgentTaskStatus)status);
                break;
            case "usage":
                feed.UsageChanged(taskId);
                break;
        }
    }
}
