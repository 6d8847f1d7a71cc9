using Catalyst.Contracts;
using Catalyst.Tasks.Domain;
using Marten;

namespace Catalyst.Tasks;

/// <summary>The broker metered one model request of a task: its exact figures become the task's usage.</summary>
public static class LlmUsageMeteredHandler
{
    public static async Task Handle(LlmUsageMetered message, IDocumentSession session, CancellationToken ct)
    {
        if (await session.LoadAsync<AgentTask>(message.TaskId, ct) is null) return;
        session.Events.Append(message.TaskId, Recorded(message));
    }

    public static TokenUsageRecorded Recorded(LlmUsageMetered m) => new(m.InputTokens, m.OutputTokens, m.CostUsd, m.At)
    {
        CacheReadTokens = m.CacheReadTokens,
        CacheWriteTokens = m.CacheWriteTokens,
        Model = m.Model,
    };
}
