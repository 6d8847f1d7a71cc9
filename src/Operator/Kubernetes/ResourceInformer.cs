using System.Collections.Concurrent;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Catalyst.Operator.Kubernetes;

/// <summary>
/// One kind's objects as the cluster holds them: list, then watch from the list's resourceVersion (with bookmarks);
/// a watch that ends or drops reconnects from the last resourceVersion seen; a 410 Expired relists and reports the
/// objects that went missing meanwhile as deleted. Every change is handed to <see cref="Changed"/> (level-triggered:
/// the handler looks at the whole object again).
/// </summary>
public sealed class ResourceInformer<T>(
    string kind,
    Func<CancellationToken, Task<(IList<T> Items, string ResourceVersion)>> list,
    Func<string, Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType Type, T Object)>> watch,
    ILogger logger,
    TimeProvider? time = null)
    where T : IKubernetesObject<V1ObjectMeta>
{
    private readonly ConcurrentDictionary<string, T> _cache = new();
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public event Action<WatchEventType, T>? Changed;

    /// <summary>Completes once the first list is in the cache.</summary>
    public Task Synced => _synced.Task;

    /// <summary>How many times the informer listed (the first list, and each relist after a 410).</summary>
    public int Lists { get; private set; }

    public static string KeyOf(T item) => $"{item.Metadata.NamespaceProperty}/{item.Metadata.Name}";

    public bool TryGet(string key, out T item) => _cache.TryGetValue(key, out item!);

    public IReadOnlyCollection<T> Items => _cache.Values.ToArray();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        string? resourceVersion = null;
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                resourceVersion ??= await RelistAsync(cancellationToken);
                var expired = false;
                await foreach (var (type, item) in watch(resourceVersion, e =>
                {
                    if (e is KubernetesException { Status.Code: (int)HttpStatusCode.Gone }) expired = true;
                    else logger.LogWarning(e, "The {Kind} watch reported an error", kind);
                }, cancellationToken))
                {
                    failures = 0;
                    if (item?.Metadata?.ResourceVersion is { Length: > 0 } seen) resourceVersion = seen;
                    if (type == WatchEventType.Bookmark || item?.Metadata?.Name is null) continue;
                    Apply(type, item);
                }
                if (expired)
                {
                    logger.LogInformation("The {Kind} watch expired (410); listing again", kind);
                    resourceVersion = null;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Gone)
            {
                resourceVersion = null;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                // A stream that closes before its first line throws EndOfStreamException inside HttpRequestException: reconnect.
                failures++;
                if (e is not HttpRequestException { InnerException: EndOfStreamException })
                    logger.LogWarning(e, "The {Kind} watch dropped; reconnecting", kind);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5000, 100 * (1 << Math.Min(failures, 6)))), _time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task<string> RelistAsync(CancellationToken cancellationToken)
    {
        var (items, resourceVersion) = await list(cancellationToken);
        Lists++;
        var seen = new HashSet<string>();
        foreach (var item in items)
        {
            seen.Add(KeyOf(item));
            Apply(_cache.ContainsKey(KeyOf(item)) ? WatchEventType.Modified : WatchEventType.Added, item);
        }
        foreach (var (key, gone) in _cache.ToArray())
            if (!seen.Contains(key)) Apply(WatchEventType.Deleted, gone);
        _synced.TrySetResult();
        return resourceVersion;
    }

    private void Apply(WatchEventType type, T item)
    {
        var key = KeyOf(item);
        if (type == WatchEventType.Deleted) _cache.TryRemove(key, out _);
        else _cache[key] = item;
        try
        {
            Changed?.Invoke(type, item);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Handling a {Kind} change failed", kind);
        }
    }
}
