using Catalyst.Contracts;
using Catalyst.Tasks.Domain;
using Catalyst.Tasks.Logs;
using Marten;
using Npgsql;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Wolverine;

namespace Catalyst.Tasks.Queue;

/// <summary>Look at the queue and start whatever the limits now allow. Sent after every change that may free or need a slot.</summary>
public sealed record StartQueuedTasks;

/// <summary>System-wide and per-user limits on tasks running at once; a project's own limit is in its settings.</summary>
public sealed class TaskLimits
{
    public TaskLimits(IConfiguration configuration)
    {
        MaxConcurrent = Math.Max(1, configuration.GetValue<int?>("Catalyst:Workspaces:MaxConcurrent") ?? Environment.ProcessorCount);
        MaxConcurrentPerUser = Math.Max(1, configuration.GetValue<int?>("Catalyst:Workspaces:MaxConcurrentPerUser") ?? MaxConcurrent);
    }

    public TaskLimits(int maxConcurrent, int maxConcurrentPerUser)
    {
        MaxConcurrent = maxConcurrent;
        MaxConcurrentPerUser = maxConcurrentPerUser;
    }

    public int MaxConcurrent { get; set; }
    public int MaxConcurrentPerUser { get; set; }
}

public static class StartQueuedTasksHandler
{
    /// <summary>The advisory lock key of the scheduler ("catalyst" in ASCII).</summary>
    public const long SchedulerLock = 0x63_61_74_61_6c_79_73_74;

    /// <summary>
    /// The pure part: given what runs now and what waits (oldest first), which waiting tasks may start.
    /// </summary>
    public static IReadOnlyList<AgentTask> Choose(
        IReadOnlyList<AgentTask> active, IReadOnlyList<AgentTask> waiting, TaskLimits limits, Func<Guid, int> projectLimit)
    {
        var total = active.Count;
        var perProject = active.GroupBy(t => t.ProjectId).ToDictionary(g => g.Key, g => g.Count());
        var perUser = active.GroupBy(t => t.CreatedBy).ToDictionary(g => g.Key, g => g.Count());
        var chosen = new List<AgentTask>();
        foreach (var task in waiting)
        {
            if (total >= limits.MaxConcurrent) break;
            if (perProject.GetValueOrDefault(task.ProjectId) >= projectLimit(task.ProjectId)) continue;
            if (perUser.GetValueOrDefault(task.CreatedBy) >= limits.MaxConcurrentPerUser) continue;
            chosen.Add(task);
            total++;
            perProject[task.ProjectId] = perProject.GetValueOrDefault(task.ProjectId) + 1;
            perUser[task.CreatedBy] = perUser.GetValueOrDefault(task.CreatedBy) + 1;
        }
        return chosen;
    }

    public static async Task<OutgoingMessages> Handle(StartQueuedTasks _, IDocumentSession session, IMessageBus bus, TaskLimits limits,
        TaskLogWriter logs, TimeProvider clock, IHostApplicationLifetime lifetime, CancellationToken ct)
    {
        var outgoing = new OutgoingMessages();
        // A Host on its way down starts nothing: waiting tasks stay queued for the next start.
        if (lifetime.ApplicationStopping.IsCancellationRequested) return outgoing;
        // One pass at a time across every Host of this database: the lock is held until this pass's changes commit, so
        // the next pass (on any node) counts what this one started, and the limits hold for the whole installation.
        await session.BeginTransactionAsync(ct);
        await using (var command = new NpgsqlCommand("select pg_advisory_xact_lock($1)", session.Connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = SchedulerLock });
            await command.ExecuteNonQueryAsync(ct);
        }
        var active = (await session.Query<AgentTask>()
            .Where(t => t.Status == AgentTaskStatus.Provisioning || t.Status == AgentTaskStatus.Running).ToListAsync(ct))
            .Where(t => !t.IsParallel).ToList(); // a parallel request runs nothing itself: only its runs hold slots
        if (active.Count >= limits.MaxConcurrent) return outgoing;
        var waiting = await session.Query<AgentTask>()
            .Where(t => t.Status == AgentTaskStatus.Pending).OrderBy(t => t.CreatedAt).Take(1000).ToListAsync(ct);
        if (waiting.Count == 0) return outgoing;

        var projects = new Dictionary<Guid, ProjectRef?>();
        foreach (var projectId in waiting.Select(t => t.ProjectId).Distinct())
            projects[projectId] = await bus.InvokeAsync<ProjectRef?>(new FindProjectById(projectId), ct);

        var now = clock.GetUtcNow();
        foreach (var task in Choose(active, waiting, limits, id => projects[id]?.MaxConcurrentTasks ?? 1))
        {
            var project = projects[task.ProjectId];
            var provider = await bus.InvokeAsync<AgentProviderInfo?>(new GetAgentProvider(task.Provider), ct);
            var stream = await session.Events.FetchForWriting<AgentTask>(task.Id, ct);
            if (stream.Aggregate?.Status != AgentTaskStatus.Pending) continue;

            if (project is null || provider is null)
            {
                var reason = project is null ? "Its project no longer exists." : $"The agent provider “{task.Provider}” is no longer available.";
                await logs.SystemAsync(task.Id, reason, TaskLogLevel.Error, ct);
                stream.AppendOne(new AgentTaskFinished(AgentTaskStatus.Failed, reason, null, null, now));
                outgoing.Add(new AgentTaskStatusChanged(task.Id, AgentTaskStatus.Failed));
                continue;
            }

            stream.AppendOne(new WorkspaceRequested(now));
            var phase = task.NextPhase;
            await logs.SystemAsync(task.Id, phase switch
            {
                WorkspacePhase.Plan => $"Starting: asking for a workspace to plan in ({provider.DisplayName}, timeout {project.TimeoutSeconds} s).",
                WorkspacePhase.Execute => $"Plan approved: continuing in its workspace ({provider.DisplayName}, timeout {project.TimeoutSeconds} s).",
                _ => $"Starting: asking for a workspace ({provider.DisplayName}, timeout {project.TimeoutSeconds} s).",
            }, TaskLogLevel.Info, ct);
            outgoing.Add(new ProvisionWorkspace(new WorkspaceSpec(
                task.Id, project.RepositoryUrl, task.BaseBranch ?? project.DefaultBranch, task.WorkBranch,
                phase switch
                {
                    WorkspacePhase.Plan => PlanPhase.PlanInstructions(task.Instructions),
                    WorkspacePhase.Execute => PlanPhase.ApprovalMessage(task.ApprovalNotes),
                    _ => task.Instructions,
                },
                phase == WorkspacePhase.Execute ? null : task.Context.Snapshot,
                provider, task.CredentialId, project.TimeoutSeconds,
                // The project's slug: a Kubernetes workspace labels its namespace with it.
                new Dictionary<string, string> { [WorkspaceSpec.ProjectSetting] = task.ProjectSlug })
            {
                Phase = phase,
                Hooks = project.Hooks,
                EgressAllowList = project.Sandbox.AllowedHosts,
                Limits = new WorkspaceResources(project.Sandbox.MemoryMiB, project.Sandbox.Cpus, project.Sandbox.Processes),
                Budget = TaskBudgets.Lower(project.TaskBudget, task.Budget),
            }));
            outgoing.Add(new AgentTaskStatusChanged(task.Id, AgentTaskStatus.Provisioning));
        }
        return outgoing;
    }
}
