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
/// </summary>
public sealed class LlmSpend(IDocumentStore store)
{
    public const string TableName = "llm_spend";

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
