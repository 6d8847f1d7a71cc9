using Catalyst.Contracts;
using Microsoft.Extensions.Logging;

namespace Catalyst.Operator;

public static class StopWorkspaceHandler
{
    public static void Handle(StopWorkspace command, LocalWorkspaces workspaces, ILogger<LocalWorkspaces> logger)
    {
        if (!workspaces.Stop(command.TaskId, command.Reason, command.End))
            logger.LogInformation("StopWorkspace for task {TaskId}: no workspace of it runs here", command.TaskId);
    }
}
