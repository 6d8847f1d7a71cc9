using System.Collections.Concurrent;
using Catalyst.Contracts;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Wolverine;
using Wolverine.Runtime;

namespace Catalyst.Operator;

/// <summary>The workspaces this Host runs: started on <see cref="ProvisionWorkspace"/>, stopped on <see cref="StopWorkspace"/>, stopped gracefully at shutdown.</summary>
public sealed class LocalWorkspaces(
    LocalWorkspaceOptions options,
    IWorkspaceCredentialSource credentials,
    IWolverineRuntime runtime,
    ILoggerFactory loggers,
    TimeProvider time,
    AgentCliCache? clis = null)
{
    private readonly ConcurrentDictionary<Guid, Workspace> _workspaces = new();
    private readonly ILogger _logger = loggers.CreateLogger<LocalWorkspaces>();
    private volatile bool _shuttingDown;

    public LocalWorkspaceOptions Options => options;

    public IReadOnlyCollection<Guid> Running => _workspaces.Keys.ToArray();

    public WorkspaceState Query(Guid taskId) => _workspaces.ContainsKey(taskId) ? WorkspaceState.Running : WorkspaceState.Gone;

    /// <summary>Reveals the credential and starts the runner; returns once the runner runs (or the workspace has ended). Provisioning a task twice is ignored.</summary>
    public async Task ProvisionAsync(WorkspaceSpec spec, CancellationToken cancellationToken)
    {
        var workspace = new Workspace();
        if (!_workspaces.TryAdd(spec.TaskId, workspace))
        {
            _logger.LogWarning("Task {TaskId} already has a workspace; ignoring a second ProvisionWorkspace", spec.TaskId);
            return;
        }
        if (_shuttingDown)
        {
            await EndAsync(spec.TaskId, WorkspaceEnd.Failed, "The Catalyst host is shutting down; the task was not started.");
            return;
        }

        TaskAccess? access;
        try
        {
            access = await credentials.IssueAsync(spec, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Wolverine retries the message; the next attempt must not find this one in the way.
            _workspaces.TryRemove(spec.TaskId, out _);
            throw;
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Could not read credential {CredentialId} for task {TaskId}", spec.CredentialId, spec.TaskId);
            await EndAsync(spec.TaskId, WorkspaceEnd.Failed, "The credential could not be read; try again, or choose another credential.");
            return;
        }
        if (access is null)
        {
            await EndAsync(spec.TaskId, WorkspaceEnd.Failed, "The credential was deleted or deactivated after the task was created; choose another credential and retry.");
            return;
        }

        var runner = new LocalWorkspaceRunner(spec, access, options, message => PublishAsync(spec.TaskId, message),
            loggers.CreateLogger<LocalWorkspaceRunner>(), time, clis, ct => credentials.RevokeAsync(spec.TaskId, ct));
        lock (workspace)
        {
            workspace.Runner = runner;
            if (workspace.Stopped is { } stopped) runner.Stop(stopped.Reason, stopped.End);
        }
        workspace.Completion = Task.Run(async () =>
        {
            try
            {
                await runner.RunAsync();
            }
            finally
            {
                _workspaces.TryRemove(spec.TaskId, out _);
            }
        }, CancellationToken.None);
    }

    /// <summary>Stops the task's agent; its <see cref="WorkspaceExited"/> follows with <see cref="WorkspaceEnd.Cancelled"/>. False when this Host runs no workspace for it.</summary>
    public bool Stop(Guid taskId, string reason, WorkspaceEnd end = WorkspaceEnd.Cancelled)
    {
        if (!_workspaces.TryGetValue(taskId, out var workspace)) return false;
        lock (workspace)
        {
            workspace.Stopped ??= (reason, end);
            workspace.Runner?.Stop(reason, end);
        }
        return true;
    }

    /// <summary>
    /// Deletes the directory a plan left for its approval, or one a Host that died left behind. A workspace that runs is not
    /// touched (the runner removes its own), nor any with KeepWorkspaces.
    /// </summary>
    public void Release(Guid taskId)
    {
        if (_workspaces.ContainsKey(taskId) || options.KeepWorkspaces) return;
        var directory = Path.Combine(options.WorkspacesDirectory, taskId.ToString());
        if (!Directory.Exists(directory)) return;
        try
        {
            LocalWorkspaceRunner.DeleteTree(directory);
            _logger.LogInformation("Released the kept workspace of task {TaskId}", taskId);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning(e, "Could not remove the kept workspace of task {TaskId} at {Directory}", taskId, directory);
        }
    }

    /// <summary>How the task's workspace ended, as kept on disk for a Host that stopped before it stored the end; null while it runs here, or when nothing was kept.</summary>
    public WorkspaceExited? ReadKeptExit(Guid taskId) =>
        _workspaces.ContainsKey(taskId) ? null : KeptWorkspaceExits.Read(options, taskId, time.GetUtcNow());

    /// <summary>At shutdown: every agent is stopped (its commits still captured and pushed) and awaited.</summary>
    public async Task StopAllAsync(string reason, CancellationToken cancellationToken)
    {
        _shuttingDown = true;
        foreach (var taskId in _workspaces.Keys) Stop(taskId, reason);
        var running = _workspaces.Values.Select(w => w.Completion).OfType<Task>().ToArray();
        await Task.WhenAll(running).WaitAsync(options.StopGrace + TimeSpan.FromSeconds(10), cancellationToken);
    }

    /// <summary>Runners left by a Host that died: they run in their own sessions, so they outlived it. Found by their workspace directory.</summary>
    public void KillOrphans()
    {
        try
        {
            // A sandboxed process that dropped its environment dies with its sandbox, whose bubblewrap is found here.
            var orphans = WorkspaceProcesses.FindByEnvironment($"CATALYST_WORKSPACE={options.WorkspacesDirectory}{Path.DirectorySeparatorChar}");
            if (orphans.Count == 0) return;
            _logger.LogWarning("Killing {Count} agent process(es) left by a previous run under {Directory}", orphans.Count, options.WorkspacesDirectory);
            WorkspaceProcesses.KillAll(orphans);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning(e, "Could not look for agent processes left by a previous run");
        }
    }

    /// <summary>A message of a task's workspace to the Tasks module, in process, waiting while the database is unavailable.</summary>
    internal async ValueTask PublishAsync(Guid taskId, object message)
    {
        // The registry forgets the workspace before the Tasks module hears it ended, so QueryWorkspace never says Running after.
        // The task token dies with the workspace, before anyone hears it ended.
        if (message is WorkspaceExited)
        {
            _workspaces.TryRemove(taskId, out _);
            await RevokeAsync(taskId);
        }
        // Handled in process and in order: a task's output is stored before the next batch, and all of it before its exit.
        // While the database cannot be reached, the message waits here and the ones behind it wait in the workspace's
        // output buffer (WorkspaceOutputPump, 10,000 lines; past that the agent's own writes block): nothing is dropped.
        DateTimeOffset? waitingSince = null;
        var delay = TimeSpan.FromMilliseconds(250);
        for (var attempt = 1; ; )
        {
            try
            {
                await new MessageBus(runtime).InvokeAsync(message);
                if (waitingSince is { } since && _waiting.TryRemove(taskId, out _))
                    _logger.LogInformation("The database is back: the waiting output of task {TaskId} is being stored (it waited {Seconds:0} s)",
                        taskId, (time.GetUtcNow() - since).TotalSeconds);
                return;
            }
            catch (Exception e) when (DatabaseErrors.Unavailable(e))
            {
                waitingSince ??= time.GetUtcNow();
                // Said once per task and outage, not once per try.
                if (_waiting.TryAdd(taskId, 0))
                    _logger.LogWarning("The database is unavailable ({Error}); the output and end of task {TaskId} wait until it is back",
                        e.GetBaseException().Message, taskId);
                await Task.Delay(delay, time);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
            catch (Exception e) when (attempt < 5 && e is not Wolverine.Runtime.Routing.IndeterminateRoutesException)
            {
                _logger.LogWarning(e, "Handling {Message} for task {TaskId} failed (attempt {Attempt}); trying again", message.GetType().Name, taskId, attempt);
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt));
                attempt++;
            }
        }
    }

    private readonly ConcurrentDictionary<Guid, byte> _waiting = new();

    private async Task RevokeAsync(Guid taskId)
    {
        try
        {
            await credentials.RevokeAsync(taskId, CancellationToken.None);
        }
        catch (Exception e)
        {
            // The Tasks module revokes it again when the task ends.
            _logger.LogWarning(e, "Could not revoke the task token of task {TaskId}", taskId);
        }
    }

    private async Task EndAsync(Guid taskId, WorkspaceEnd end, string error)
    {
        _logger.LogWarning("Workspace of task {TaskId} not started: {Error}", taskId, error);
        await PublishAsync(taskId, new WorkspaceExited(taskId, end, null, error, null, time.GetUtcNow()));
    }

    private sealed class Workspace
    {
        public LocalWorkspaceRunner? Runner { get; set; }
        public (string Reason, WorkspaceEnd End)? Stopped { get; set; }
        public Task? Completion { get; set; }
    }
}

/// <summary>Kills runners orphaned by a previous Host at start; stops running agents gracefully at shutdown.</summary>
public sealed class LocalWorkspacesLifetime(LocalWorkspaces workspaces, ILogger<LocalWorkspacesLifetime> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!workspaces.Options.Sandbox)
            logger.LogWarning("Workspaces are NOT isolated (Catalyst:Workspaces:Sandbox=off): agents run as this process's user and can read everything it can, every user's keys included");
        else if (Catalyst.Operator.Sandbox.SandboxCheck.Problem(workspaces.Options) is { } problem)
            throw new InvalidOperationException($"The local workspace backend cannot start: {problem}");
        workspaces.KillOrphans();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await workspaces.StopAllAsync("The Catalyst host shut down while the agent was running.", cancellationToken);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            // The host's own shutdown timeout wins; the runners' processes were signalled.
        }
    }
}
