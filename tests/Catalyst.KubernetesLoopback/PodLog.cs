namespace Catalyst.KubernetesLoopback;

/// <summary>What a container wrote, line by line with the time each line came, for <c>pods/{name}/log</c>.</summary>
internal sealed class PodLog
{
    private readonly object _gate = new();
    private readonly List<(DateTimeOffset Time, string Text)> _lines = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool Ended { get; private set; }

    public void Append(string text)
    {
        lock (_gate)
        {
            _lines.Add((DateTimeOffset.UtcNow, text));
            Signal();
        }
    }

    public void End()
    {
        lock (_gate)
        {
            Ended = true;
            Signal();
        }
    }

    private void Signal()
    {
        _changed.TrySetResult();
        _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>The lines from <paramref name="from"/> on, whether the log has ended, and a task that completes on the next change.</summary>
    public (IReadOnlyList<(DateTimeOffset Time, string Text)> Lines, bool Ended, Task Changed) Read(int from)
    {
        lock (_gate) return (_lines.Skip(from).ToList(), Ended, _changed.Task);
    }
}
