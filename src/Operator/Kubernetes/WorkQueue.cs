using System.Threading.Channels;

namespace Catalyst.Operator.Kubernetes;

/// <summary>
/// Keys waiting to be reconciled: a key is queued at most once however often it is added, and is never handed to two
/// workers at once (added while in progress, it comes back once the first is done).
/// </summary>
public sealed class WorkQueue(TimeProvider? time = null)
{
    private readonly Channel<string> _ready = Channel.CreateUnbounded<string>();
    private readonly HashSet<string> _queued = [];
    private readonly HashSet<string> _processing = [];
    private readonly HashSet<string> _dirty = [];
    private readonly Lock _gate = new();
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public int Count
    {
        get { lock (_gate) return _queued.Count; }
    }

    public void Add(string key)
    {
        lock (_gate)
        {
            if (_processing.Contains(key))
            {
                _dirty.Add(key);
                return;
            }
            if (!_queued.Add(key)) return;
        }
        _ready.Writer.TryWrite(key);
    }

    public void AddAfter(string key, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            Add(key);
            return;
        }
        ITimer? timer = null;
        timer = _time.CreateTimer(_ =>
        {
            Add(key);
            timer?.Dispose();
        }, null, delay, Timeout.InfiniteTimeSpan);
    }

    public async ValueTask<string> TakeAsync(CancellationToken cancellationToken)
    {
        var key = await _ready.Reader.ReadAsync(cancellationToken);
        lock (_gate)
        {
            _queued.Remove(key);
            _processing.Add(key);
        }
        return key;
    }

    public void Done(string key)
    {
        bool again;
        lock (_gate)
        {
            _processing.Remove(key);
            again = _dirty.Remove(key);
        }
        if (again) Add(key);
    }
}
