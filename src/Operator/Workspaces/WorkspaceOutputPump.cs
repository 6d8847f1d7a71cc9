using System.Threading.Channels;
using Catalyst.Contracts;
using Microsoft.Extensions.Logging;

namespace Catalyst.Operator.Workspaces;

/// <summary>
/// A workspace's events to <c>publish</c> in the order they were written: output lines in <see cref="AgentOutput"/>
/// batches of up to <see cref="MaxBatchLines"/>, and every other message between the batches where it was written. A
/// batch of output goes at most <see cref="FlushInterval"/> after the output batch before it: a line after a quiet spell
/// (the agent's first, say) goes at once, and a busy agent's lines still go at most every <see cref="FlushInterval"/>, in
/// batches. The runner's own progress lines (a few per task) go at once and do not hold back the output after them.
/// </summary>
public sealed class WorkspaceOutputPump
{
    /// <summary>
    /// A busy agent's lines per stored batch at most: each batch is one transaction of the log writer (its lock, the next
    /// sequence numbers, a binary COPY, a notification), so the fewer, the more lines a second a task's log takes (about
    /// 115,000 lines a second with 500, 130,000 to 157,000 with 2,000, on the 2-core benchmark machine).
    /// </summary>
    public const int MaxBatchLines = 2000;
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(20);

    private readonly Guid _taskId;
    private readonly Func<object, ValueTask> _publish;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    /// <summary>When the last batch with output in it was sent (a <see cref="TimeProvider"/> timestamp); null before the first.</summary>
    private long? _lastBatch;
    private readonly Channel<object> _events = Channel.CreateBounded<object>(new BoundedChannelOptions(10_000) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    public WorkspaceOutputPump(Guid taskId, Func<object, ValueTask> publish, ILogger logger, TimeProvider time)
    {
        _taskId = taskId;
        _publish = publish;
        _logger = logger;
        _time = time;
        Completion = PumpAsync();
    }

    /// <summary>Ends once everything written before <see cref="Complete"/> was published.</summary>
    public Task Completion { get; }

    /// <summary>Queues an <see cref="OutputLine"/> or a message; waits while 10,000 are queued. Throws <see cref="ChannelClosedException"/> after <see cref="Complete"/>.</summary>
    public ValueTask WriteAsync(object item) => _events.Writer.WriteAsync(item);

    /// <summary>Like <see cref="WriteAsync"/>, but a workspace that already ended (stopped mid-install, say) drops the item.</summary>
    public async ValueTask TryWriteAsync(object item)
    {
        try
        {
            await _events.Writer.WriteAsync(item);
        }
        catch (ChannelClosedException)
        {
            // The workspace ended while something still had a line for it.
        }
    }

    /// <summary>No more items: what was queued is still published.</summary>
    public void Complete() => _events.Writer.TryComplete();

    /// <summary>Publishes one message now, with a few more tries for <see cref="WorkspaceExited"/>, which the Tasks module waits for.</summary>
    public async Task PublishAsync(object message)
    {
        var attempts = message is WorkspaceExited ? 4 : 1;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _publish(message);
                return;
            }
            catch (Exception e) when (attempt < attempts)
            {
                _logger.LogWarning(e, "Could not publish {Message} for task {TaskId}; trying again", message.GetType().Name, _taskId);
                await Task.Delay(TimeSpan.FromMilliseconds(500 * attempt), _time);
            }
            catch (Exception e)
            {
                _logger.LogError(e, "Could not publish {Message} for task {TaskId}", message.GetType().Name, _taskId);
                return;
            }
        }
    }

    private async Task PumpAsync()
    {
        // Not on the writer's stack: the first write must not run the pump inline.
        await Task.Yield();
        var reader = _events.Reader;
        var batch = new List<OutputLine>(MaxBatchLines);
        while (await reader.WaitToReadAsync())
        {
            while (true)
            {
                while (batch.Count < MaxBatchLines && reader.TryRead(out var item))
                {
                    if (item is OutputLine line) batch.Add(line);
                    else
                    {
                        await FlushAsync(batch);
                        await PublishAsync(item);
                    }
                }
                if (batch.Count == 0 || batch.Count >= MaxBatchLines) break;
                // Lines keep gathering until FlushInterval after the last batch (none yet: they go now).
                if (_lastBatch is not { } last || batch.All(IsProgress)) break;
                var remaining = FlushInterval - _time.GetElapsedTime(last);
                if (remaining <= TimeSpan.Zero) break;
                using var wait = new CancellationTokenSource(remaining, _time);
                try
                {
                    if (!await reader.WaitToReadAsync(wait.Token)) break;
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
            await FlushAsync(batch);
        }
        await FlushAsync(batch);
    }

    private async Task FlushAsync(List<OutputLine> batch)
    {
        if (batch.Count == 0) return;
        var lines = batch.ToArray();
        batch.Clear();
        if (!lines.All(IsProgress)) _lastBatch = _time.GetTimestamp();
        await PublishAsync(new AgentOutput(_taskId, lines));
    }

    /// <summary>The runner's own line (progress, a warning), not the agent's or a hook's output.</summary>
    private static bool IsProgress(OutputLine line) => line.Stream is OutputStream.System or OutputStream.SystemWarning;
}
