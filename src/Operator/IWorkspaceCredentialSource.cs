using Catalyst.Contracts;
using Wolverine;
using Wolverine.Runtime;

namespace Catalyst.Operator;

/// <summary>
/// Where a workspace gets its task token for the broker, at the moment it starts (null: the credential is gone or
/// inactive), and gives it back when it ends. A workspace never gets a key.
/// </summary>
public interface IWorkspaceCredentialSource
{
    Task<TaskAccess?> IssueAsync(WorkspaceSpec spec, CancellationToken cancellationToken);

    Task RevokeAsync(Guid taskId, CancellationToken cancellationToken);
}

/// <summary>Asks the Credentials module in process (never through a durable queue: the answer holds the token).</summary>
public sealed class CredentialsModuleCredentialSource(IWolverineRuntime runtime) : IWorkspaceCredentialSource
{
    public Task<TaskAccess?> IssueAsync(WorkspaceSpec spec, CancellationToken cancellationToken) =>
        new MessageBus(runtime).InvokeAsync<TaskAccess?>(new IssueTaskToken(spec.TaskId, spec.CredentialId, spec.Provider) { Budget = spec.Budget }, cancellationToken);

    public Task RevokeAsync(Guid taskId, CancellationToken cancellationToken) =>
        new MessageBus(runtime).InvokeAsync(new RevokeTaskToken(taskId), cancellationToken);
}
