using Catalyst.Contracts;
using Wolverine;
using Wolverine.Runtime;

namespace Catalyst.Operator;

/// <summary>Where a workspace gets its decrypted key, at the moment it starts the agent. Null: the credential is gone or inactive.</summary>
public interface IWorkspaceCredentialSource
{
    Task<WorkspaceCredential?> RevealAsync(Guid credentialId, Guid taskId, CancellationToken cancellationToken);
}

/// <summary>Asks the Credentials module in process (never through a durable queue: the answer holds the key).</summary>
public sealed class CredentialsModuleCredentialSource(IWolverineRuntime runtime) : IWorkspaceCredentialSource
{
    public Task<WorkspaceCredential?> RevealAsync(Guid credentialId, Guid taskId, CancellationToken cancellationToken) =>
        new MessageBus(runtime).InvokeAsync<WorkspaceCredential?>(new RevealCredentialForWorkspace(credentialId, taskId), cancellationToken);
}
