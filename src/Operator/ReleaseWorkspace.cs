using Catalyst.Contracts;

namespace Catalyst.Operator;

public static class ReleaseWorkspaceHandler
{
    public static Task Handle(ReleaseWorkspace command, IWorkspaceBackend workspaces, CancellationToken cancellationToken) =>
        workspaces.ReleaseAsync(command.TaskId, cancellationToken);
}

public static class ReadKeptWorkspaceExitHandler
{
    public static Task<WorkspaceExited?> Handle(ReadKeptWorkspaceExit query, IWorkspaceBackend workspaces, CancellationToken cancellationToken) =>
        workspaces.ReadKeptExitAsync(query.TaskId, cancellationToken);
}

public static class ForgetKeptWorkspaceExitHandler
{
    public static Task Handle(ForgetKeptWorkspaceExit command, IWorkspaceBackend workspaces, CancellationToken cancellationToken) =>
        workspaces.ForgetKeptExitAsync(command.TaskId, cancellationToken);
}
