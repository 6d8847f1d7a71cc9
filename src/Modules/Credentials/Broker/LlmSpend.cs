using System.Collections.Concurrent;
using System.Globalization;
using Catalyst.Contracts;
using Marten;
using Npgsql;
using Weasel.Postgresql.Tables;

namespace Catalyst.Credentials;

/// <summary>What a task, or a user in a calendar month (UTC), has spent through the broker so far.</summary>
public readonly record struct Spend(long Tokens, decimal Usd);

/// <summary>
/// Spend per task and per user-month, added up in one table with atomic upserts so that every node counts the same.
/// A node also keeps what it read (for two seconds) and what it added since: the check before a call costs no round
/// trip, and a call's spend counts for the next call on this node at once, before it is written.
/// </summary>
public sealed class LlmSpend(IDocumentStore store, TimeProvider clock)
{
    public const string TableName = "llm_spend";
    private static readonly TimeSpan Fresh = TimeSpan.FromSeconds(2);
    private readonly ConcurrentDictionary<string, Entry> _local = new();

    private sealed class Delta(Spend spend)
    {
        public Spend Spend { get; } = spend;
        public DateTimeOffset? WrittenAt { get; set; }
    }

    private sealed class Entry
    {
        public Spend Stored;
        public DateTimeOffset ReadAt = DateTimeOffset.MinValue;
        public readonly List<Delta> Deltas = [];

        public Spend Total()
        {
            lock (this) return Deltas.Aggregate(Stored, (sum, d) => new Spend(sum.Tokens + d.Spend.Tokens, sum.Usd + d.Spend.Usd));
        }
    }

    /// <summary>What the task and its user's month have spent, as this node knows it (at most two seconds behind other nodes).</summary>
    public async Task<(Spend Task, Spend Month)> CurrentAsync(Guid taskId, Guid userId, DateTimeOffset now, CancellationToken ct)
    {
        var (taskKey, monthKey) = (TaskKey(taskId), MonthKey(userId, now));
        var task = _local.GetOrAdd(taskKey, _ => new Entry());
        var month = _local.GetOrAdd(monthKey, _ => new Entry());
        if (now - task.ReadAt < Fresh && now - month.ReadAt < Fresh) return (task.Total(), month.Total());

        var started = clock.GetUtcNow();
        var (storedTask, storedMonth) = await ReadAsync(taskId, userId, now, ct);
        Refresh(task, storedTask, started);
        Refresh(month, storedMonth, started);
        return (task.Total(), month.Total());
    }

    // What the table said as of a read begun at `started` includes every delta written before then.
    private static void Refresh(Entry entry, Spend stored, DateTimeOffset started)
    {
        lock (entry)
        {
            entry.Stored = stored;
            entry.ReadAt = started;
            entry.Deltas.RemoveAll(d => d.WrittenAt < started);
        }
    }

    /// <summary>Counts a call's spend on this node at once; <see cref="WriteAsync"/> then adds it to the table.</summary>
    public Func<CancellationToken, Task> Add(Guid taskId, Guid userId, DateTimeOffset at, long tokens, decimal? usd)
    {
        var delta = new Spend(tokens, usd ?? 0);
        var written = new List<(Entry Entry, Delta Delta)>();
        foreach (var key in new[] { TaskKey(taskId), MonthKey(userId, at) })
        {
            var entry = _local.GetOrAdd(key, _ => new Entry());
            var d = new Delta(delta);
            lock (entry) entry.Deltas.Add(d);
            written.Add((entry, d));
        }
        if (_local.Count > 100_000) Prune();
        return async ct =>
        {
            await AddAsync(taskId, userId, at, tokens, usd, ct);
            var now = clock.GetUtcNow();
            foreach (var (entry, d) in written)
                lock (entry)
                {
                    d.WrittenAt = now;
                    // A stale entry is read again before it is used: what is written need not be kept.
                    if (now - entry.ReadAt >= Fresh) entry.Deltas.RemoveAll(x => x.WrittenAt is not null);
                }
        };
    }

    private void Prune()
    {
        var stale = clock.GetUtcNow() - TimeSpan.FromMinutes(1);
        foreach (var (key, entry) in _local)
            lock (entry)
                if (entry.ReadAt < stale && entry.Deltas.All(d => d.WrittenAt is not null)) _local.TryRemove(key, out _);
    }

    public static string TaskKey(Guid taskId) => $"task:{taskId:N}";

    public static string MonthKey(Guid userId, DateTimeOffset at) => $"user:{userId:N}:{at.UtcDateTime.ToString("yyyy-MM", CultureInfo.InvariantCulture)}";

    public static Table Table()
    {
        var table = new Table(new Weasel.Postgresql.PostgresqlObjectName(CredentialsModule.Schema, TableName, Weasel.Postgresql.SchemaUtils.IdentifierUsage.General));
        table.AddColumn<string>("key").AsPrimaryKey();
        table.AddColumn<long>("tokens").NotNull().DefaultValueByExpression("0");
        table.AddColumn("usd", "numeric").NotNull().DefaultValueByExpression("0");
        return table;
    }

    public async Task<(Spend Task, Spend Month)> ReadAsync(Guid taskId, Guid userId, DateTimeOffset now, CancellationToken ct)
    {
        var (taskKey, monthKey) = (TaskKey(taskId), MonthKey(userId, now));
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand($"select key, tokens, usd from {CredentialsModule.Schema}.{TableName} where key = any($1)", connection)
        {
            Parameters = { new() { Value = new[] { taskKey, monthKey } } },
        };
        Spend task = default, month = default;
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var spend = new Spend(reader.GetInt64(1), reader.GetDecimal(2));
            if (reader.GetString(0) == taskKey) task = spend;
            else month = spend;
        }
        return (task, month);
    }

    public async Task<IReadOnlyDictionary<Guid, Spend>> MonthOfAsync(IEnumerable<Guid> userIds, DateTimeOffset now, CancellationToken ct)
    {
        var keys = userIds.ToDictionary(id => MonthKey(id, now));
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand($"select key, tokens, usd from {CredentialsModule.Schema}.{TableName} where key = any($1)", connection)
        {
            Parameters = { new() { Value = keys.Keys.ToArray() } },
        };
        var spent = new Dictionary<Guid, Spend>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) spent[keys[reader.GetString(0)]] = new Spend(reader.GetInt64(1), reader.GetDecimal(2));
        return spent;
    }

    public async Task AddAsync(Guid taskId, Guid userId, DateTimeOffset at, long tokens, decimal? usd, CancellationToken ct)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            $"insert into {CredentialsModule.Schema}.{TableName} as s (key, tokens, usd) values ($1, $3, $4), ($2, $3, $4) " +
            "on conflict (key) do update set tokens = s.tokens + excluded.tokens, usd = s.usd + excluded.usd", connection)
        {
            Parameters = { new() { Value = TaskKey(taskId) }, new() { Value = MonthKey(userId, at) }, new() { Value = tokens }, new() { Value = usd ?? 0m } },
        };
        await command.ExecuteNonQueryAsync(ct);
    }
}

/// <summary>The pure part of a budget check: the message that refuses the request, or null while there is room.</summary>
public static class BudgetCheck
{
    public static string? Over(TaskBudget budget, Spend spent, bool forTask)
    {
        var inv = CultureInfo.InvariantCulture;
        if (budget.Tokens is { } tokens && spent.Tokens >= tokens)
            return forTask
                ? string.Format(inv, "Budget reached: {0:N0} of {1:N0} tokens for this task", spent.Tokens, tokens)
                : string.Format(inv, "Budget reached: {0:N0} tokens of your monthly budget of {1:N0} tokens", spent.Tokens, tokens);
        if (budget.Usd is { } usd && spent.Usd >= usd)
            return forTask
                ? string.Format(inv, "Budget reached: ${0:#,##0.00##} of ${1:#,##0.00##} for this task", spent.Usd, usd)
                : string.Format(inv, "Budget reached: ${0:#,##0.00##} of your monthly budget of ${1:#,##0.00##}", spent.Usd, usd);
        return null;
    }
}
