using Catalyst.Tasks.Domain;
using Marten;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Catalyst.Tasks;

/// <summary>
/// How many of each project's listed tasks (not the runs of a parallel request) are in each status, kept by the database
/// itself so a task list never counts thousands of tasks per request. A trigger on the tasks' table appends a +1 or −1
/// row for every change of a task's project, status or listing (insert-only: writers never wait on each other, whatever
/// the node); a reader sums a project's rows and folds them into one row per status once they pile up. The counts are
/// rebuilt from the tasks at every start-up, and emptied with the tasks (a truncate, a projection rebuild).
/// </summary>
public sealed class TaskCounts(IDocumentStore store) : IHostedService
{
    public const string Table = $"{TasksModule.Schema}.agent_task_counts";
    private const string Tasks = $"{TasksModule.Schema}.mt_doc_agenttask";
    /// <summary>Rows a project may gather before a reader folds them.</summary>
    public const int FoldAbove = 32;
    private const long SetUpLock = 0x6361_7461_636f_756e; // "catacoun"

    /// <summary>
    /// The counts of one project, status by status in the statuses' own order (pending first), and how many rows they are
    /// summed from. Ordered so a list's counts and an MCP answer come the same way every time, whatever rows were folded.
    /// </summary>
    public const string ReadSql =
        $"select jsonb_build_object('Status', status, 'Count', sum(delta), 'Rows', count(*)) from {Table} where project_id = ? group by status order by status";

    /// <summary>How many listed tasks the given projects have, in all (the second form: in one status).</summary>
    public const string SumSql = $"select jsonb_build_object('Count', coalesce(sum(delta), 0)) from {Table} where project_id = any(?)";
    public const string SumInStatusSql = SumSql + " and status = ?";

    /// <summary>Folds a project's rows into one per status, in one statement: rows appended meanwhile are kept as they are.</summary>
    private const string FoldSql =
        $"with gone as (delete from {Table} where project_id = $1 returning status, delta) " +
        $"insert into {Table} (project_id, status, delta) select $1, status, sum(delta) from gone group by status having sum(delta) <> 0";

    /// <summary>Rows folded at once above which the table is vacuumed straight away (see <see cref="VacuumAsync"/>).</summary>
    public const int VacuumAbove = 1_000;

    public async Task FoldAsync(Guid projectId, int rows, CancellationToken ct)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using (var command = new NpgsqlCommand(FoldSql, connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = projectId });
            await command.ExecuteNonQueryAsync(ct);
        }
        if (rows > VacuumAbove) await VacuumAsync(connection, ct);
    }

    /// <summary>
    /// Thousands of rows deleted at once (a fold after a burst of tasks, the rebuild at start-up) leave their index entries
    /// behind until autovacuum comes by (up to a minute), and every list's read of the counts walks them all meanwhile:
    /// 10,000 of them tripled PostgreSQL's time per task list in the load benchmark. A vacuum of this small table takes
    /// milliseconds and blocks neither readers nor writers.
    /// </summary>
    private static async Task VacuumAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var vacuum = new NpgsqlCommand($"vacuum (analyze) {Table}", connection);
        await vacuum.ExecuteNonQueryAsync(ct);
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await store.Storage.Database.EnsureStorageExistsAsync(typeof(AgentTask), cancellationToken);
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // One node at a time; the tasks held still (writers wait) while the counts are rebuilt under the new trigger.
        await using var command = new NpgsqlCommand(
            $"""
             select pg_advisory_xact_lock({SetUpLock});
             create table if not exists {Table} (project_id uuid not null, status integer not null, delta bigint not null);
             create index if not exists agent_task_counts_by_project on {Table} (project_id);
             create or replace function {TasksModule.Schema}.count_agent_task() returns trigger language plpgsql as $$
             begin
               if tg_op = 'UPDATE' and old.project_id = new.project_id and old.status = new.status
                  and (old.parent_id is null) = (new.parent_id is null) then
                 return null;
               end if;
               if tg_op in ('UPDATE', 'DELETE') and old.parent_id is null then
                 insert into {Table} (project_id, status, delta) values (old.project_id, old.status, -1);
               end if;
               if tg_op in ('INSERT', 'UPDATE') and new.parent_id is null then
                 insert into {Table} (project_id, status, delta) values (new.project_id, new.status, 1);
               end if;
               return null;
             end $$;
             create or replace function {TasksModule.Schema}.forget_agent_task_counts() returns trigger language plpgsql as $$
             begin
               delete from {Table};
               return null;
             end $$;
             -- Tasks stored before the column of their own existed: filled from their JSON, once.
             update {Tasks} set of_deleted_project = coalesce((data ->> 'OfDeletedProject')::boolean, false) where of_deleted_project is null;
             lock table {Tasks} in share row exclusive mode;
             drop trigger if exists agent_task_counted on {Tasks};
             create trigger agent_task_counted after insert or update or delete on {Tasks}
               for each row execute function {TasksModule.Schema}.count_agent_task();
             drop trigger if exists agent_task_counts_forgotten on {Tasks};
             create trigger agent_task_counts_forgotten after truncate on {Tasks}
               for each statement execute function {TasksModule.Schema}.forget_agent_task_counts();
             delete from {Table};
             insert into {Table} (project_id, status, delta)
               select project_id, status, count(*) from {Tasks} where parent_id is null group by project_id, status;
             """, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await VacuumAsync(connection, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
