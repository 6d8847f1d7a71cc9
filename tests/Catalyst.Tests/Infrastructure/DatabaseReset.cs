using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Catalyst.Tests.Infrastructure;

public static class DatabaseReset
{
    /// <summary>
    /// Empties every document and event table between tests. The truncation waits for every open transaction on those
    /// tables; a scheduler pass of the previous test's tasks holds one while it asks another module (on another
    /// connection, queued behind the truncation) about a project, so each attempt is cut short and tried again rather
    /// than left to wait out the 30 s command timeout.
    /// </summary>
    /// <remarks>
    /// The event sequence is not started again from 1 (as Marten's reset does) but carried on past where it was: an append
    /// of the previous test's work still in flight may hold a number taken before the reset and commit after it, and this
    /// test's first events would then get the same number (a clean-clone run failed once on "pkey_mt_events_seq_id").
    /// </remarks>
    public static async Task ResetDataAsync(this IHost host)
    {
        var store = host.Services.GetRequiredService<IDocumentStore>();
        var schema = store.Options.Events.DatabaseSchemaName;
        await QuietAsync(store);
        for (var attempt = 1; ; attempt++)
        {
            using var cut = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                // (Before the first event there is no sequence yet: then nothing to carry on.)
                var reached = await SequenceAsync(
                    $"select coalesce((select last_value from pg_sequences where schemaname = '{schema}' and sequencename = 'mt_events_sequence'), 0)", cut.Token);
                await store.Advanced.ResetAllData(cut.Token);
                // Far enough past for whatever the previous test's work took meanwhile.
                await SequenceAsync($"select coalesce(setval(to_regclass('{schema}.mt_events_sequence'), {reached} + 10000), 0)", cut.Token);
                return;
            }
            catch (Exception e) when (attempt < 5 && cut.IsCancellationRequested && e is OperationCanceledException or NpgsqlException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt));
            }
        }

        Task<long> SequenceAsync(string sql, CancellationToken ct) => ScalarAsync(store, sql, ct);
    }

    /// <summary>
    /// Waits (at most 10 s) until the previous test's queued messages are handled, so that none of its work (a GitHub
    /// delivery's run, a task's progress) lands in this test's data after the reset.
    /// </summary>
    private static async Task QuietAsync(IDocumentStore store)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        const string queued = "select count(*) from wolverine.wolverine_incoming_envelopes where status = 'Incoming'";
        while (DateTime.UtcNow < deadline && await ScalarAsync(store, queued, CancellationToken.None) > 0)
            await Task.Delay(50);
    }

    private static async Task<long> ScalarAsync(IDocumentStore store, string sql, CancellationToken ct)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct));
    }
}
