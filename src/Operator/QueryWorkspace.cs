using Catalyst.Contracts;

namespace Catalyst.Operator;

public static class QueryWorkspaceHandler
{
    /// <summary>Running while this Host runs the task's workspace; Gone otherwise (ended, or lost with a previous Host).</summary>
    public static WorkspaceState Handle(QueryWorkspace query, LocalWorkspaces workspaces) => workspaces.Query(query.TaskId);
}
