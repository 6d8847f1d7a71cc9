using Catalyst.Contracts;
using Catalyst.Tasks.Domain;
using Catalyst.Tasks.Logs;
using Marten;

namespace Catalyst.Tasks;

/// <summary>The task's recorded usage changed: open task pages refresh the usage and budget they show.</summary>
public sealed record AgentTaskUsageChanged(Guid TaskId);

/// <summary>The broker metered one model request of a task: its exact figures become the task's usage.</summary>
public static class LlmUsageMeteredHandler
{
    public static async Task<object[]> Handle(LlmUsageMetered message, IDocumentSession session, CancellationToken ct)
    {
        // FetchForWriting: the append is checked against the version read, so a concurrent writer of the task (its
        // workspace ending, its budget reached) is retried over, never overwritten by a stale snapshot.
        var stream = await session.Events.FetchForWriting<AgentTask>(message.TaskId, ct);
        if (stream.Aggregate is null) return [];
        stream.AppendOne(Recorded(message));
        // Sent once the usage is committed, so a page that refreshes on it reads the new figures.
        return [new AgentTaskUsageChanged(message.TaskId)];
    }

    public static TokenUsageRecorded Recorded(LlmUsageMetered m) => new(m.InputTokens, m.OutputTokens, m.CostUsd, m.At)
    {
        CacheReadTokens = m.CacheReadTokens,
        CacheWriteTokens = m.CacheWriteTokens,
        Model = m.Model,
    };

    public static async Task Handle(AgentTaskUsageChanged message, TaskLiveFeed feed, TaskFeedAcrossNodes nodes, CancellationToken ct)
    {
        feed.UsageChanged(message.TaskId);
        await nodes.UsageChangedAsync(message.TaskId, ct);
    }
}
