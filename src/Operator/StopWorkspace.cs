using Catalyst.Contracts;
using Microsoft.Extensions.Logging;

namespace Catalyst.Operator;

public static class StopWorkspaceHandler
{
    public static async Task Handle(StopWorkspace command, IWorkspaceBackend workspaces, ILogger<LocalWorkspaces> logger, CancellationToken cancellationToken)
    {
        if (!await workspaces.StopAsync(command.TaskId, command.Reason, command.End, cancellationToken))
            logger.LogInformation("StopWorkspace for task {TaskId}: no workspace of it runs here", command.TaskId);
    }
}
