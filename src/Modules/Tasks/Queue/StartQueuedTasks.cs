using Catalyst.Contracts;
using Catalyst.Tasks.Domain;
using Catalyst.Tasks.Logs;
using Catalyst.Tasks.Nodes;
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

    /// <summary>How many of one person's oldest waiting tasks a pass reads (the others wait for a later pass).</summary>
    public const int WaitingPerUser = 200;

    /// <summary>How many repositories of the oldest tasks left waiting a pass asks this node's backend to get ready.</summary>
    public const int PreparedAhead = 2;

    /// <summary>
    /// The pure part: given what runs now and what waits (oldest first), which waiting tasks may start. Slots are shared
    /// fairly among the people waiting: each free slot goes to the person with the fewest tasks running (the oldest
    /// waiting task first among equals), so one person's long queue does not hold the others back. The system, project
    /// and user limits hold as before; a task whose project is full is passed over for a later one that may run.
    /// </summary>
    public static IReadOnlyList<AgentTask> Choose(
        IReadOnlyList<AgentTask> active, IReadOnlyList<AgentTask> waiting, TaskLimits limits, Func<Guid, int> projectLimit)
    {
        var total = active.Count;
        var perProject = active.GroupBy(t => t.ProjectId).ToDictionary(g => g.Key, g => g.Count());
        var perUser = active.GroupBy(t => t.CreatedBy).ToDictionary(g => g.Key, g => g.Count());
        // Each person's waiting tasks, oldest first, and how far this pass has gone through them.
        var queues = waiting.OrderBy(t => t.CreatedAt).GroupBy(t => t.CreatedBy).Select(g => new UserQueue(g.Key, g.ToList())).ToList();
        var chosen = new List<AgentTask>();
        while (total < limits.MaxConcurrent)
        {
            UserQueue? next = null;
            foreach (var queue in queues)
            {
                if (perUser.GetValueOrDefault(queue.User) >= limits.MaxConcurrentPerUser) continue;
                // A project at its limit stays full for the rest of this pass: its tasks are passed over for good.
                while (queue.Next is { } head && perProject.GetValueOrDefault(head.ProjectId) >= projectLimit(head.ProjectId)) queue.Skip();
                if (queue.Next is not { } candidate) continue;
                if (next is null || IsFairer(candidate, perUser.GetValueOrDefault(queue.User), next.Next!, perUser.GetValueOrDefault(next.User)))
                    next = queue;
            }
            if (next is null) break;
            var task = next.Next!;
            next.Skip();
            chosen.Add(task);
            total++;
            perProject[task.ProjectId] = perProject.GetValueOrDefault(task.ProjectId) + 1;
            perUser[task.CreatedBy] = perUser.GetValueOrDefault(task.CreatedBy) + 1;
        }
        return chosen;
    }

    /// <summary>
    /// A person's fair share of <paramref name="slots"/> when each wants <paramref name="demands"/> tasks at once
    /// (running plus waiting): the max-min share, the smallest whole number L such that giving everyone
    /// min(demand, L) fills every slot (or the largest demand when all demands together do not fill them).
    /// No one should wait while someone else runs more than L.
    /// </summary>
    public static int FairShare(IEnumerable<int> demands, int slots)
    {
        var wanted = demands.Where(d => d > 0).ToList();
        if (wanted.Count == 0) return 0;
        if (wanted.Sum() <= slots) return wanted.Max();
        var level = 0;
        while (wanted.Sum(d => Math.Min(d, level)) < slots) level++;
        return level;
    }

    private static bool IsFairer(AgentTask task, int running, AgentTask other, int otherRunning) =>
        running != otherRunning ? running < otherRunning : task.CreatedAt < other.CreatedAt;

    private sealed class UserQueue(Guid user, List<AgentTask> tasks)
    {
        private int _at;
        public Guid User => user;
        public AgentTask? Next => _at < tasks.Count ? tasks[_at] : null;
        public void Skip() => _at++;
    }

    public static async Task<OutgoingMessages> Handle(StartQueuedTasks _, IDocumentSession session, IDocumentStore store, IMessageBus bus, TaskLimits limits,
        TaskLogWriter logs, OutputFormats formats, CatalystNode node, TimeProvider clock, IHostApplicationLifetime lifetime, CancellationToken ct)
    {
        var outgoing = new OutgoingMessages();
        // A Host on its way down starts nothing: waiting tasks stay queued for the next start.
        if (lifetime.ApplicationStopping.IsCancellationRequested) return outgoing;
        // What the pass asks the other modules (the waiting tasks' projects and providers) is asked before the lock, so
        // the lock is held for the database's part only and passes on other nodes never wait behind these answers.
        var (projects, providers, pending) = await LookUpWaitingAsync(store, bus, node.RunsLocalWorkspaces, ct);
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
        if (active.Count >= limits.MaxConcurrent)
        {
            PrepareAhead(outgoing, node, pending, projects, started: new HashSet<Guid>());
            return outgoing;
        }
        var waiting = await OldestWaitingOfEachUser(session, ct);
        if (waiting.Count == 0) return outgoing;

        // A task queued since the look-up: its project is asked now, under the lock (rare).
        foreach (var projectId in waiting.Select(t => t.ProjectId).Distinct().Where(id => !projects.ContainsKey(id)))
            projects[projectId] = await bus.InvokeAsync<ProjectRef?>(new FindProjectById(projectId), ct);

        var now = clock.GetUtcNow();
        var chosen = Choose(active, waiting, limits, id => projects[id]?.MaxConcurrentTasks ?? 1);
        foreach (var task in chosen)
        {
            var project = projects[task.ProjectId];
            if (!providers.TryGetValue(task.Provider, out var provider))
                providers[task.Provider] = provider = await bus.InvokeAsync<AgentProviderInfo?>(new GetAgentProvider(task.Provider), ct);
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

            var phase = task.NextPhase;
            // This node runs the workspace, except an approved plan's: it continues where its plan was kept.
            var runner = !node.RunsLocalWorkspaces ? null : phase == WorkspacePhase.Execute && task.Node is { } kept ? kept : node.Id;
            stream.AppendOne(new WorkspaceRequested(now, runner));
            await logs.SystemAsync(task.Id, phase switch
            {
                WorkspacePhase.Plan => $"Starting: asking for a workspace to plan in ({provider.DisplayName}, timeout {project.TimeoutSeconds} s).",
                WorkspacePhase.Execute => $"Plan approved: continuing in its workspace ({provider.DisplayName}, timeout {project.TimeoutSeconds} s).",
                _ => $"Starting: asking for a workspace ({provider.DisplayName}, timeout {project.TimeoutSeconds} s).",
            }, TaskLogLevel.Info, ct);
            var provision = new ProvisionWorkspace(new WorkspaceSpec(
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
            });
            formats.Remember(task.Id, provider.Launch.OutputFormat);
            if (runner is null || runner == node.Id) outgoing.Add(provision);
            else NodeMail.Send(session, runner, provision);
            outgoing.Add(new AgentTaskStatusChanged(task.Id, AgentTaskStatus.Provisioning));
        }
        PrepareAhead(outgoing, node, pending, projects, chosen.Select(t => t.Id).ToHashSet());
        return outgoing;
    }

    /// <summary>
    /// The oldest tasks left waiting, one per repository and <see cref="PreparedAhead"/> at most, get their workspace made
    /// ready on this node while they wait (their repository cache fetched), so a task that gets a slot starts without
    /// waiting on its origin. Only on a node that runs workspaces itself; the tasks this pass starts fetch for themselves.
    /// </summary>
    private static void PrepareAhead(OutgoingMessages outgoing, CatalystNode node, IReadOnlyList<PendingTask> pending,
        IReadOnlyDictionary<Guid, ProjectRef?> projects, IReadOnlySet<Guid> started)
    {
        if (!node.RunsLocalWorkspaces) return;
        var repositories = new HashSet<string>();
        foreach (var task in pending)
        {
            if (repositories.Count == PreparedAhead) break;
            if (started.Contains(task.Id) || projects.GetValueOrDefault(task.ProjectId) is not { } project || !repositories.Add(project.RepositoryUrl)) continue;
            outgoing.Add(new PrepareWorkspace(task.Id, project.RepositoryUrl));
        }
    }

    /// <summary>A waiting task, as the look-up before the lock reads it (oldest first).</summary>
    public sealed class PendingTask
    {
        public Guid Id { get; set; }
        public Guid ProjectId { get; set; }
    }

    /// <summary>The projects and the agent providers of the tasks waiting now, and the oldest of those tasks, read outside the scheduler's lock.</summary>
    /// <param name="oldest">Whether to read the oldest waiting tasks too (for <see cref="PrepareAhead"/>: a node that runs workspaces).</param>
    private static async Task<(Dictionary<Guid, ProjectRef?> Projects, Dictionary<string, AgentProviderInfo?> Providers, IReadOnlyList<PendingTask> Oldest)> LookUpWaitingAsync(
        IDocumentStore store, IMessageBus bus, bool oldest, CancellationToken ct)
    {
        var projects = new Dictionary<Guid, ProjectRef?>();
        var providers = new Dictionary<string, AgentProviderInfo?>();
        await using var query = store.QuerySession();
        foreach (var projectId in await query.Query<AgentTask>().Where(t => t.Status == AgentTaskStatus.Pending).Select(t => t.ProjectId).Distinct().ToListAsync(ct))
            projects[projectId] = await bus.InvokeAsync<ProjectRef?>(new FindProjectById(projectId), ct);
        foreach (var provider in await query.Query<AgentTask>().Where(t => t.Status == AgentTaskStatus.Pending).Select(t => t.Provider).Distinct().ToListAsync(ct))
            providers[provider] = await bus.InvokeAsync<AgentProviderInfo?>(new GetAgentProvider(provider), ct);
        var waiting = projects.Count == 0 || !oldest ? [] : await query.Query<AgentTask>().Where(t => t.Status == AgentTaskStatus.Pending)
            .OrderBy(t => t.CreatedAt).Take(50).Select(t => new PendingTask { Id = t.Id, ProjectId = t.ProjectId }).ToListAsync(ct);
        return (projects, providers, waiting);
    }

    /// <summary>
    /// The oldest waiting tasks of each person who has any (up to <see cref="WaitingPerUser"/> each), so that one
    /// person's thousands of queued tasks never push the others' out of the pass.
    /// </summary>
    private static async Task<List<AgentTask>> OldestWaitingOfEachUser(IDocumentSession session, CancellationToken ct)
    {
        var users = await session.Query<AgentTask>().Where(t => t.Status == AgentTaskStatus.Pending).Select(t => t.CreatedBy).Distinct().ToListAsync(ct);
        if (users.Count == 0) return [];
        var batch = session.CreateBatchQuery();
        var reads = users.Select(user => batch.Query<AgentTask>()
            .Where(t => t.Status == AgentTaskStatus.Pending && t.CreatedBy == user).OrderBy(t => t.CreatedAt).Take(WaitingPerUser).ToList()).ToList();
        await batch.Execute(ct);
        var waiting = new List<AgentTask>();
        foreach (var read in reads) waiting.AddRange(await read);
        return waiting;
    }
}
