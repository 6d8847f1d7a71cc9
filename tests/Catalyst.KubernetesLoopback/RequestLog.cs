using System.Collections.Concurrent;

namespace Catalyst.KubernetesLoopback;

/// <summary>One request the server answered (watches and log streams are logged when they start).</summary>
public sealed record ApiRequest(long Sequence, string Method, string Path, string Query, int StatusCode, DateTimeOffset Time)
{
    /// <summary>POST, PUT, PATCH or DELETE: a request that asked for a change, whatever the answer.</summary>
    public bool IsWrite => Method is "POST" or "PUT" or "PATCH" or "DELETE";

    public override string ToString() => $"{Method} {Path}{Query} -> {StatusCode}";
}

/// <summary>Every request in order, so a test can say "between these two points nothing was written".</summary>
public sealed class RequestLog
{
    private readonly ConcurrentQueue<ApiRequest> _requests = new();
    private long _sequence;

    internal void Add(string method, string path, string query, int status, DateTimeOffset time) =>
        _requests.Enqueue(new(Interlocked.Increment(ref _sequence), method, path, query, status, time));

    public IReadOnlyList<ApiRequest> All => _requests.ToList();

    /// <summary>A point in the log; pass it to <see cref="Since"/>.</summary>
    public long Mark() => Interlocked.Read(ref _sequence);

    public IReadOnlyList<ApiRequest> Since(long mark) => _requests.Where(r => r.Sequence > mark).ToList();

    public IReadOnlyList<ApiRequest> WritesSince(long mark) => Since(mark).Where(r => r.IsWrite).ToList();
}
