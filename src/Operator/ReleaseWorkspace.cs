using Catalyst.Contracts;

namespace Catalyst.Operator;

public static class ReleaseWorkspaceHandler
{
    public static Task Handle(ReleaseWorkspace command, IWorkspaceBackend workspaces, CancellationToken cancellationToken) =>
        workspaces.ReleaseAsync(command.TaskId, cancellationToken);
}
