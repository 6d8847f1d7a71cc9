using Catalyst.Contracts;

namespace Catalyst.Operator;

public static class QueryWorkspaceHandler
{
    /// <summary>Local: Running while this Host runs the task's workspace. Kubernetes: what the task's Environment says.</summary>
    public static Task<WorkspaceState> Handle(QueryWorkspace query, IWorkspaceBackend workspaces, CancellationToken cancellationToken) =>
        workspaces.QueryAsync(query.TaskId, cancellationToken);
}
