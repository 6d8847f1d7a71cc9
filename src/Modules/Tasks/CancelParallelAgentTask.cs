using Catalyst.Contracts;
using Catalyst.Tasks.Domain;
using Catalyst.Tasks.Logs;
using Catalyst.Tasks.Nodes;
using Marten;
using JasperFx.Events;
using Wolverine;

namespace Catalyst.Tasks;

/// <summary>
/// Cancelling a parallel request (CancelAgentTask on it): its runs that have not ended are cancelled as single tasks are, and the
/// request itself, which runs nothing, ends cancelled at once.
/// </summary>
public static class CancelParallelAgentTask
{
    public static async Task<(Result<AgentTaskView>, OutgoingMessages)> Handle(CancelAgentTask command, AgentTask parent, IEventStream<AgentTask> stream,
        IDocumentSession session, IMessageBus bus, TaskLogWriter logs, CatalystNode node, TimeProvider clock, CancellationToken ct)
    {
        var outgoing = new OutgoingMessages();
        var stopped = await CancelRuns(parent, command.UserId, null, session, bus, logs, node, clock, outgoing, ct);
        var now = clock.GetUtcNow();
        var requested = new CancellationRequested(command.UserId, now);
        var reason = stopped == 0 ? "Cancelled; no run was chosen." : $"Cancelled; {Runs(stopped)} that had not ended {(stopped == 1 ? "was" : "were")} stopped.";
        var ended = new AgentTaskFinished(AgentTaskStatus.Cancelled, reason, "No run chosen", null, now);
        stream.AppendMany(requested, ended);
        await logs.SystemAsync(parent.Id, reason, TaskLogLevel.Warn, ct);
        outgoing.Add(new AgentTaskStatusChanged(parent.Id, AgentTaskStatus.Cancelled));
        return (Result<AgentTaskView>.Ok(AgentTaskView.From(parent.Apply(requested).Apply(ended))), outgoing);
    }

    /// <summary>Cancels the request's runs that have not ended (but <paramref name="except"/>); answers how many.</summary>
    public static async Task<int> CancelRuns(AgentTask parent, Guid userId, Guid? except, IDocumentSession session, IMessageBus bus,
        TaskLogWriter logs, CatalystNode node, TimeProvider clock, OutgoingMessages outgoing, CancellationToken ct)
    {
        var runs = await session.LoadManyAsync<AgentTask>(ct, parent.RunIds);
        var count = 0;
        foreach (var run in runs.Where(r => r.Id != except && !r.Status.IsFinished() && !r.CancelRequested))
        {
            var (result, messages) = await CancelAgentTaskHandler.Handle(new CancelAgentTask(userId, run.Id), session, bus, logs, node, clock, ct);
            outgoing.AddRange(messages);
            if (result.Succeeded) count++;
        }
        return count;
    }

    private static string Runs(int n) => n == 1 ? "1 run" : $"{n} runs";
}
