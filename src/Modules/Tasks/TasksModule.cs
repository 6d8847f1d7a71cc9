using Catalyst.Tasks.Domain;
using Catalyst.Tasks.Logs;
using Catalyst.Tasks.Logs.Adapters;
using Catalyst.Tasks.Queue;
using JasperFx.Events.Projections;
using Marten;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Weasel.Postgresql.Tables;
using Wolverine;
using Wolverine.ErrorHandling;

namespace Catalyst.Tasks;

public static class TasksModule
{
    private const string TaskSpendQueue = "task-spend";
    public const string Schema = "tasks";

    public static IServiceCollection AddTasksModule(this IServiceCollection services)
    {
        services.ConfigureMarten(opts =>
        {
            opts.Projections.Snapshot<AgentTask>(SnapshotLifecycle.Inline);
            // Columns of their own (each indexed) for what the lists filter, count and sort by: a page of a project with
            // thousands of tasks then counts and sorts from the indexes instead of reading every task's JSON.
            opts.Schema.For<AgentTask>().DatabaseSchemaName(Schema)
                .Duplicate(t => t.ProjectId).Duplicate(t => t.Status).Duplicate(t => t.CreatedAt).Duplicate(t => t.ParentId)
                // The few tasks kept from deleted projects, found by their own index for the all-tasks page's total.
                .Duplicate(t => t.OfDeletedProject)
                // The lists show the tasks of a project that are not runs of a parallel request: filtered by status with the
                // first index, their newest page from the second (their counts per status are kept apart: see TaskCounts).
                .Index([t => t.ProjectId, t => t.Status], i => { i.Name = "mt_doc_agenttask_idx_listed_by_status"; i.Predicate = "parent_id is null"; })
                .Index([t => t.ProjectId, t => t.CreatedAt], i => { i.Name = "mt_doc_agenttask_idx_listed_by_created_at"; i.Predicate = "parent_id is null"; });
            opts.Storage.ExtendedSchemaObjects.Add(LogTable());
            opts.Storage.ExtendedSchemaObjects.Add(Nodes.NodeRegistry.Schema());
            opts.Storage.ExtendedSchemaObjects.Add(Nodes.NodeMail.Schema());
        });
        services.ConfigureMarten((sp, opts) => opts.Listeners.Add(sp.GetRequiredService<Metrics.TaskMetricsListener>()));
        services.AddSingleton<Metrics.TaskMetricsListener>();
        services.AddSingleton<Metrics.TaskGauges>();
        services.AddHostedService(sp => sp.GetRequiredService<Metrics.TaskGauges>());
        services.AddSingleton<Metrics.TaskMetrics>();

        services.AddSingleton<TaskLiveFeed>();
        services.AddSingleton<MemberProjects>();
        services.AddSingleton<TaskFeedAcrossNodes>();
        services.AddHostedService(sp => sp.GetRequiredService<TaskFeedAcrossNodes>());
        services.AddSingleton<TaskLogWriter>();
        services.AddSingleton<TaskLogReader>();
        services.AddSingleton<OutputInterpreter>();
        // How each provider's CLI output is read, keyed by the provider's OutputFormat.
        services.AddSingleton<IAgentOutputAdapter, ClaudeStreamJsonAdapter>();
        services.AddSingleton<IAgentOutputAdapter, CodexJsonAdapter>();
        services.AddSingleton<IAgentOutputAdapter, ClineJsonAdapter>();
        services.AddSingleton<IAgentOutputAdapter, GeminiStreamJsonAdapter>();
        services.AddSingleton<IAgentOutputAdapter, QwenStreamJsonAdapter>();
        services.AddSingleton<IAgentOutputAdapter, OpenCodeJsonAdapter>();
        services.AddSingleton<IAgentOutputAdapter, AiderTextAdapter>();
        services.AddSingleton<OutputFormats>();
        services.AddSingleton<TaskLimits>();
        services.AddSingleton<PlanApprovalOptions>();
        // This Host among the others on the database: its heartbeat, its mail, and ending the tasks of nodes that died.
        services.AddSingleton<Nodes.CatalystNode>();
        services.AddSingleton<Nodes.NodeRegistry>();
        services.AddHostedService<Nodes.NodeHeartbeat>();
        services.AddHostedService<Nodes.NodeMailbox>();
        services.AddSingleton<TaskCounts>();
        services.AddHostedService(sp => sp.GetRequiredService<TaskCounts>());
        services.AddHostedService<ReconcileOnStartup>();

        services.ConfigureWolverine(opts =>
        {
            opts.Discovery.IncludeAssembly(typeof(TasksModule).Assembly);
            // The queue decides one pass at a time, so two passes never start the same slot twice.
            opts.LocalQueueFor<StartQueuedTasks>().Sequential();
            // A parallel request follows its runs one change at a time, so runs ending together do not race for its stream.
            opts.LocalQueueFor<FollowParallelRequest>().Sequential();
            // The broker meters calls of one task in quick succession and may then report its budget reached: one at a
            // time on one queue, so their appends to the task's stream do not collide.
            opts.PublishMessage<Catalyst.Contracts.LlmUsageMetered>().ToLocalQueue(TaskSpendQueue);
            opts.PublishMessage<Catalyst.Contracts.TaskBudgetReached>().ToLocalQueue(TaskSpendQueue);
            opts.LocalQueue(TaskSpendQueue).Sequential();
            opts.OnException<JasperFx.ConcurrencyException>()
                .RetryWithCooldown(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(250),
                    TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1));
        });
        return services;
    }

    public static void MapTasksEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/projects/{slug}/agents/{taskId:guid}/events", AgentTaskEventsEndpoint.Get).RequireAuthorization();
    }

    private static Table LogTable()
    {
        var table = new Table(new Weasel.Postgresql.PostgresqlObjectName(Schema, "agent_task_logs", Weasel.Postgresql.SchemaUtils.IdentifierUsage.General));
        table.AddColumn<Guid>("task_id").AsPrimaryKey();
        table.AddColumn<long>("seq").AsPrimaryKey();
        table.AddColumn<DateTimeOffset>("ts").NotNull();
        table.AddColumn<string>("level").NotNull();
        table.AddColumn<string>("kind").NotNull();
        table.AddColumn<string>("message").NotNull();
        table.AddColumn("metadata", "jsonb");
        return table;
    }
}
