using System.Collections.Concurrent;
using System.Threading.Channels;
using Catalyst.Contracts;
using Catalyst.Tasks.Domain;
using Marten;
using Wolverine;

namespace Catalyst.Tasks.Logs;

public abstract record FeedItem;
public sealed record LogsWritten(IReadOnlyList<AgentTaskLog> Lines) : FeedItem;
public sealed record StatusChangedItem(AgentTaskStatus Status) : FeedItem;
public sealed record UsageChangedItem : FeedItem;
/// <summary>Another node stored the task's lines up to <see cref="UpTo"/> (0: unknown, re-read): read them from the database.</summary>
public sealed record LinesStoredElsewhere(long UpTo) : FeedItem;

/// <summary>
/// In-process fan-out of a task's new log lines and status changes to whoever watches it (SSE streams).
/// A slow watcher never slows the writer: its buffer drops, and the watcher fills the gap from the database.
/// </summary>
public sealed class TaskLiveFeed
{
    private readonly ConcurrentDictionary<Guid, ConcurrentDictionary<Subscription, byte>> _watchers = new();

    public Subscription Subscribe(Guid taskId)
    {
        var subscription = new Subscription(this, taskId);
        _watchers.GetOrAdd(taskId, _ => new()).TryAdd(subscription, 0);
        return subscription;
    }

    public void Publish(Guid taskId, IReadOnlyList<AgentTaskLog> lines) => Send(taskId, new LogsWritten(lines));

    public void StatusChanged(Guid taskId, AgentTaskStatus status) => Send(taskId, new StatusChangedItem(status));

    /// <summary>The broker metered a request of the task: its page refreshes the usage and budget it shows.</summary>
    public void UsageChanged(Guid taskId) => Send(taskId, new UsageChangedItem());

    public void StoredElsewhere(Guid taskId, long upTo) => Send(taskId, new LinesStoredElsewhere(upTo));

    /// <summary>Notices may have been missed (the link to the database dropped): every viewer re-reads its task.</summary>
    public void ResyncAll()
    {
        foreach (var taskId in _watchers.Keys) Send(taskId, new LinesStoredElsewhere(0));
    }

    public int WatcherCount(Guid taskId) => _watchers.TryGetValue(taskId, out var set) ? set.Count : 0;

    private void Send(Guid taskId, FeedItem item)
    {
        if (!_watchers.TryGetValue(taskId, out var set)) return;
        foreach (var watcher in set.Keys) watcher.Offer(item);
    }

    private void Remove(Subscription subscription)
    {
        if (_watchers.TryGetValue(subscription.TaskId, out var set))
        {
            set.TryRemove(subscription, out _);
            if (set.IsEmpty) _watchers.TryRemove(new KeyValuePair<Guid, ConcurrentDictionary<Subscription, byte>>(subscription.TaskId, set));
        }
    }

    public sealed class Subscription : IDisposable
    {
        private readonly TaskLiveFeed _feed;
        private readonly Channel<FeedItem> _channel = Channel.CreateBounded<FeedItem>(
            new BoundedChannelOptions(4096) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

        internal Subscription(TaskLiveFeed feed, Guid taskId)
        {
            _feed = feed;
            TaskId = taskId;
        }

        public Guid TaskId { get; }
        public ChannelReader<FeedItem> Reader => _channel.Reader;

        internal void Offer(FeedItem item) => _channel.Writer.TryWrite(item);

        public void Dispose()
        {
            _feed.Remove(this);
            _channel.Writer.TryComplete();
        }
    }
}

/// <summary>
/// A task's status changed: a parallel request follows its run, other modules hear where the task stands, its viewers
/// (here and on other nodes) see it, and an ended task's token and owner are seen to. One handler, one transaction.
/// </summary>
public static class AgentTaskStatusChangedHandler
{
    public static async Task<OutgoingMessages> Handle(AgentTaskStatusChanged message, IQuerySession session, TaskLiveFeed feed, TaskFeedAcrossNodes nodes,
        TaskLogWriter logs, TaskLogReader reader, CancellationToken ct)
    {
        // The task read once for both parts that need it.
        var task = await session.LoadAsync<AgentTask>(message.TaskId, ct);
        var outgoing = await FollowParallelRunsHandler.RunChangedAsync(message, task, logs, ct);
        outgoing.AddRange(await ReportAgentTaskProgressHandler.ReportAsync(task, reader, ct));
        outgoing.AddRange(await FeedAsync(message, feed, nodes, logs, ct));
        return outgoing;
    }

    private static async Task<object[]> FeedAsync(AgentTaskStatusChanged message, TaskLiveFeed feed, TaskFeedAcrossNodes nodes, TaskLogWriter logs,
        CancellationToken ct)
    {
        feed.StatusChanged(message.TaskId, message.Status);
        await nodes.StatusChangedAsync(message.TaskId, message.Status, ct);
        if (message.Status.IsFinished()) logs.Forget(message.TaskId);
        // Every way a task ends sends this message: its broker token dies with it. A plan waiting for approval is notified
        // but revokes nothing here: its workspace's backend revoked the plan's token when the workspace ended, before the
        // task heard of it; a revocation queued from here could land after the approval and kill the execute phase's token.
        if (message.Status.IsFinished()) return [new RevokeTaskToken(message.TaskId), new NotifyTaskOwner(message.TaskId, message.Status)];
        return message.Status == AgentTaskStatus.AwaitingApproval ? [new NotifyTaskOwner(message.TaskId, message.Status)] : [];
    }
}
