using Catalyst.Contracts;
using Catalyst.Tasks.Domain;
using Catalyst.Tasks.Logs;
using Catalyst.Tasks.Nodes;
using Marten;
using Wolverine;

namespace Catalyst.Tasks;

/// <summary>The broker refused a request of the task at its budget: the agent is stopped and the task ends failed, saying which budget.</summary>
public static class TaskBudgetReachedHandler
{
    public static async Task<OutgoingMessages> Handle(TaskBudgetReached message, IDocumentSession session, TaskLogWriter logs, CatalystNode node,
        CancellationToken ct)
    {
        var stream = await session.Events.FetchForWriting<AgentTask>(message.TaskId, ct);
        if (stream.Aggregate is not { } task || !Stops(task)) return [];
        stream.AppendOne(new BudgetReached(message.Message, message.At));
        await logs.SystemAsync(task.Id, $"{message.Message}: stopping the agent.", TaskLogLevel.Error, ct);
        var outgoing = new OutgoingMessages();
        outgoing.ToWorkspaceOf(task, new StopWorkspace(task.Id, message.Message) { End = WorkspaceEnd.Failed }, node, session);
        return outgoing;
    }

    /// <summary>The pure part: only a task whose agent may still be running is stopped, and only once.</summary>
    public static bool Stops(AgentTask task) => !task.Status.IsFinished() && task.BudgetMessage is null;
}
