using Catalyst.Tasks.Domain;
using Marten;
using Marten.Services;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Catalyst.Tasks.Metrics;

/// <summary>
/// Counts the task facts a commit stored: it runs after the transaction, so a handler that fails and is retried counts
/// nothing for the failed attempt, and a fact counts once on whichever node stored it.
/// </summary>
public sealed class TaskMetricsListener(IServiceProvider services) : DocumentSessionListenerBase
{
    public override async Task AfterCommitAsync(IDocumentSession session, IChangeSet commit, CancellationToken token)
    {
        var events = commit.GetEvents().Where(e => e.Data is AgentTaskCreated or AgentTaskFinished or WorkspaceRequested or TokenUsageRecorded).ToList();
        if (events.Count == 0) return;
        try
        {
            await CountAsync(events, token);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Metrics never fail the work they describe.
            services.GetRequiredService<ILogger<TaskMetricsListener>>().LogWarning("Task metrics were not updated: {Reason}", e.Message);
        }
    }

    private async Task CountAsync(IReadOnlyList<JasperFx.Events.IEvent> events, CancellationToken ct)
    {
        var metrics = services.GetRequiredService<TaskMetrics>();
        var needTask = events.Where(e => e.Data is not AgentTaskCreated).Select(e => e.StreamId).Distinct().ToArray();
        IReadOnlyDictionary<Guid, AgentTask> tasks = new Dictionary<Guid, AgentTask>();
        if (needTask.Length > 0)
        {
            await using var query = services.GetRequiredService<IDocumentStore>().QuerySession();
            tasks = (await query.LoadManyAsync<AgentTask>(ct, needTask)).ToDictionary(t => t.Id);
        }

        foreach (var e in events)
        {
            switch (e.Data)
            {
                case AgentTaskCreated created:
                    metrics.Created.Add(1, Tag("provider", created.Provider), Tag("type", created.Type), Tag("source", created.Context.Kind));
                    break;
                case AgentTaskFinished finished when tasks.TryGetValue(e.StreamId, out var task):
                    var status = Tag("status", TaskGauges.StatusLabel(finished.Status));
                    metrics.Finished.Add(1, Tag("provider", task.Provider), status);
                    metrics.Duration.Record(Math.Max(0, (finished.At - task.CreatedAt).TotalSeconds), Tag("provider", task.Provider), status);
                    TaskTraces.Write(task);
                    break;
                case WorkspaceRequested requested when tasks.TryGetValue(e.StreamId, out var task):
                    var queued = task.QueuedAt ?? task.CreatedAt;
                    metrics.QueueWait.Record(Math.Max(0, (requested.At - queued).TotalSeconds), Tag("provider", task.Provider));
                    break;
                case TokenUsageRecorded usage when tasks.TryGetValue(e.StreamId, out var task):
                    var provider = Tag("provider", task.Provider);
                    AddTokens(metrics, provider, "input", usage.InputTokens);
                    AddTokens(metrics, provider, "output", usage.OutputTokens);
                    AddTokens(metrics, provider, "cache_read", usage.CacheReadTokens);
                    AddTokens(metrics, provider, "cache_write", usage.CacheWriteTokens);
                    if (usage.CostUsd is { } cost) metrics.CostUsd.Add((double)cost, provider);
                    break;
            }
        }
    }

    private static void AddTokens(TaskMetrics metrics, KeyValuePair<string, object?> provider, string kind, long count)
    {
        if (count > 0) metrics.Tokens.Add(count, provider, Tag("kind", kind));
    }

    private static KeyValuePair<string, object?> Tag(string name, object? value) => new(name, value);
}
