using Catalyst.Contracts;

namespace Catalyst.Operator;

/// <summary>
/// Where the Tasks module's workspaces run: this Host's processes (local) or a cluster (kubernetes,
/// <c>Catalyst__Workspaces__Backend</c>). Both answer with the same messages, so the Tasks module cannot tell them apart.
/// </summary>
public interface IWorkspaceBackend
{
    Task ProvisionAsync(WorkspaceSpec spec, CancellationToken cancellationToken);

    /// <summary>False when the backend has no workspace of the task.</summary>
    Task<bool> StopAsync(Guid taskId, string reason, WorkspaceEnd end, CancellationToken cancellationToken);

    Task<WorkspaceState> QueryAsync(Guid taskId, CancellationToken cancellationToken);

    Task ReleaseAsync(Guid taskId, CancellationToken cancellationToken);

    /// <summary>How the task's workspace ended, when the backend kept that for a Host that stopped before it was stored; null otherwise.</summary>
    Task<WorkspaceExited?> ReadKeptExitAsync(Guid taskId, CancellationToken cancellationToken) => Task.FromResult<WorkspaceExited?>(null);

    /// <summary>The kept end is stored: delete it.</summary>
    Task ForgetKeptExitAsync(Guid taskId, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// A task waits for a slot: get ready for it without starting anything, in the background (the local backend fetches its
    /// repository cache). Nothing by default: a Kubernetes workspace clones inside its own pod (see docs/kubernetes.md).
    /// </summary>
    Task PrepareAsync(PrepareWorkspace request, CancellationToken cancellationToken) => Task.CompletedTask;
}

public sealed class LocalWorkspaceBackend(LocalWorkspaces workspaces, Local.RepositoryCacheWarmer warmer) : IWorkspaceBackend
{
    public Task PrepareAsync(PrepareWorkspace request, CancellationToken cancellationToken)
    {
        // What the fetch said goes on the waiting task the way a workspace's output does.
        warmer.Prepare(request, output => workspaces.PublishAsync(request.TaskId, output).AsTask());
        return Task.CompletedTask;
    }

    public Task ProvisionAsync(WorkspaceSpec spec, CancellationToken cancellationToken) => workspaces.ProvisionAsync(spec, cancellationToken);

    public Task<bool> StopAsync(Guid taskId, string reason, WorkspaceEnd end, CancellationToken cancellationToken) => Task.FromResult(workspaces.Stop(taskId, reason, end));

    public Task<WorkspaceState> QueryAsync(Guid taskId, CancellationToken cancellationToken) => Task.FromResult(workspaces.Query(taskId));

    public Task ReleaseAsync(Guid taskId, CancellationToken cancellationToken)
    {
        workspaces.Release(taskId);
        return Task.CompletedTask;
    }

    public Task<WorkspaceExited?> ReadKeptExitAsync(Guid taskId, CancellationToken cancellationToken) => Task.FromResult(workspaces.ReadKeptExit(taskId));

    public Task ForgetKeptExitAsync(Guid taskId, CancellationToken cancellationToken)
    {
        KeptWorkspaceExits.Forget(workspaces.Options, taskId);
        return Task.CompletedTask;
    }
}
