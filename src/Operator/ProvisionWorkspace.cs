using Catalyst.Contracts;

namespace Catalyst.Operator;

public static class ProvisionWorkspaceHandler
{
    /// <summary>Starts the workspace and returns; the agent runs in the background and reports through published messages.</summary>
    public static Task Handle(ProvisionWorkspace command, IWorkspaceBackend workspaces, CancellationToken cancellationToken) =>
        workspaces.ProvisionAsync(command.Spec, cancellationToken);
}

public static class PrepareWorkspaceHandler
{
    /// <summary>Returns at once: what the backend does for a waiting task runs in the background.</summary>
    public static Task Handle(PrepareWorkspace command, IWorkspaceBackend workspaces, CancellationToken cancellationToken) =>
        workspaces.PrepareAsync(command, cancellationToken);
}
