using System.Collections.Concurrent;

namespace Catalyst.KubernetesLoopback;

/// <summary>The ways a real cluster fails, on demand: each one is used once, by the next request or pod it fits.</summary>
public sealed class LoopbackFaults
{
    private readonly ObjectStore _store;
    private readonly ConcurrentQueue<PodFault> _podFaults = new();
    private readonly ConcurrentDictionary<string, int> _conflicts = new();
    private int _expiredWatches;

    internal LoopbackFaults(ObjectStore store) => _store = store;

    /// <summary>The next pod started is killed by the kernel's OOM killer <paramref name="after"/> it starts: exit 137, reason OOMKilled.</summary>
    public void NextPodOomKilled(TimeSpan? after = null) => _podFaults.Enqueue(new PodFault(PodFaultKind.OomKilled, after ?? TimeSpan.Zero));

    /// <summary>The next pod never gets its image: it waits in ImagePullBackOff and never runs.</summary>
    public void NextPodImagePullBackOff() => _podFaults.Enqueue(new PodFault(PodFaultKind.ImagePullBackOff, TimeSpan.Zero));

    /// <summary>The next pod fits on no node: PodScheduled False, reason Unschedulable, never runs.</summary>
    public void NextPodUnschedulable() => _podFaults.Enqueue(new PodFault(PodFaultKind.Unschedulable, TimeSpan.Zero));

    /// <summary>Ends every open watch request now; answers how many there were.</summary>
    public int DropAllWatches() => _store.DropExternalWatches();

    /// <summary>The next watch request is answered with an ERROR event 410 Expired, whatever its resourceVersion.</summary>
    public void ExpireNextWatch() => Interlocked.Increment(ref _expiredWatches);

    /// <summary>The next PUT or PATCH of <paramref name="plural"/> (e.g. "environments", "jobs") gets 409 Conflict.</summary>
    public void ConflictOnNextUpdate(string plural) => _conflicts.AddOrUpdate(plural, 1, (_, n) => n + 1);

    internal PodFault? TakePodFault() => _podFaults.TryDequeue(out var fault) ? fault : null;

    internal bool TakeExpiredWatch()
    {
        while (true)
        {
            var pending = Volatile.Read(ref _expiredWatches);
            if (pending == 0) return false;
            if (Interlocked.CompareExchange(ref _expiredWatches, pending - 1, pending) == pending) return true;
        }
    }

    internal bool TakeConflict(string plural)
    {
        while (_conflicts.TryGetValue(plural, out var pending) && pending > 0)
            if (_conflicts.TryUpdate(plural, pending - 1, pending)) return true;
        return false;
    }
}

internal enum PodFaultKind { OomKilled, ImagePullBackOff, Unschedulable }

internal sealed record PodFault(PodFaultKind Kind, TimeSpan After);
