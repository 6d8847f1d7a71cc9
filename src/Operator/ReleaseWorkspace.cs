using Catalyst.Contracts;

namespace Catalyst.Operator;

public static class ReleaseWorkspaceHandler
{
    public static void Handle(ReleaseWorkspace command, LocalWorkspaces workspaces) => workspaces.Release(command.TaskId);
}
