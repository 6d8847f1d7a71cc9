using System.Diagnostics;
using Catalyst.Operator.Kubernetes.Controllers;
using Catalyst.Operator.Kubernetes.Entities;
using k8s;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;
using k8s.Models;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Catalyst.Operator.Kubernetes;

/// <summary>
/// The operator's loop: hold the Lease, and while leading, inform on Environments and on the Jobs and pods the
/// operator made, and reconcile each changed Environment from a de-duplicated queue. A replica that is not the leader
/// reads and writes nothing but the Lease.
/// </summary>
public sealed class EnvironmentOperator(
    IKubernetes client,
    KubernetesOperatorOptions options,
    EnvironmentController controller,
    WorkspaceLogs logs,
    ILogger<EnvironmentOperator> logger,
    TimeProvider? time = null) : BackgroundService
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private volatile bool _leading;
    private volatile WorkQueue? _queue;

    public bool IsLeader => _leading;

    /// <summary>This replica's name in the Lease (the pod's name).</summary>
    public string Identity => options.Identity;

    /// <summary>Environments waiting to be reconciled; 0 while this replica does not lead.</summary>
    public int QueueDepth => _leading ? _queue?.Count ?? 0 : 0;

    /// <summary>The Environment informer of the current term (tests look at how often it listed).</summary>
    public ResourceInformer<V1Alpha1Environment>? Informer { get; private set; }

    public EnvironmentController Controller => controller;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var elector = new LeaderElector(new LeaderElectionConfig(new LeaseLock(client, options.LeaseNamespace, options.LeaseName, options.Identity))
        {
            LeaseDuration = options.LeaseDuration,
            RenewDeadline = options.RenewDeadline,
            RetryPeriod = options.RetryPeriod,
        });
        CancellationTokenSource? term = null;
        Task leading = Task.CompletedTask;
        elector.OnStartedLeading += () =>
        {
            logger.LogInformation("{Identity} leads; reconciling Environments", options.Identity);
            term = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var token = term.Token;
            _leading = true;
            leading = Task.Run(() => LeadAsync(token), CancellationToken.None);
        };
        elector.OnStoppedLeading += () =>
        {
            _leading = false;
            term?.Cancel();
            logger.LogInformation("{Identity} no longer leads", options.Identity);
        };
        elector.OnError += e => logger.LogDebug(e, "Leader election");
        OperatorMetrics.Started(this);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await elector.RunUntilLeadershipLostAsync(stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                }
                catch (Exception e)
                {
                    logger.LogWarning(e, "Leader election failed; trying again");
                }
                _leading = false;
                term?.Cancel();
                await leading;
                if (!stoppingToken.IsCancellationRequested) await Task.Delay(options.RetryPeriod, _time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        finally
        {
            _leading = false;
            term?.Cancel();
            await leading;
            OperatorMetrics.Stopped(this);
        }
    }

    private async Task LeadAsync(CancellationToken ct)
    {
        var queue = new WorkQueue(_time);
        _queue = queue;
        var selector = $"app.kubernetes.io/managed-by={TaskWorkspace.ManagedBy}";
        var environments = new ResourceInformer<V1Alpha1Environment>("Environment",
            c => Environments.ListAsync(client, options.WatchNamespace, c),
            (rv, onError, c) => Environments.WatchAsync(client, options.WatchNamespace, rv, onError, c), logger, _time);
        var jobs = new ResourceInformer<V1Job>("Job",
            async c =>
            {
                var list = await client.BatchV1.ListJobForAllNamespacesAsync(labelSelector: selector, cancellationToken: c);
                return (list.Items, list.Metadata.ResourceVersion);
            },
            (rv, onError, c) => Watch<V1Job, V1JobList>(client.BatchV1.ListJobForAllNamespacesWithHttpMessagesAsync(labelSelector: selector, allowWatchBookmarks: true,
                resourceVersion: rv, watch: true, timeoutSeconds: 300, cancellationToken: c), onError, c), logger, _time);
        var pods = new ResourceInformer<V1Pod>("Pod",
            async c =>
            {
                var list = await client.CoreV1.ListPodForAllNamespacesAsync(labelSelector: selector, cancellationToken: c);
                return (list.Items, list.Metadata.ResourceVersion);
            },
            (rv, onError, c) => Watch<V1Pod, V1PodList>(client.CoreV1.ListPodForAllNamespacesWithHttpMessagesAsync(labelSelector: selector, allowWatchBookmarks: true,
                resourceVersion: rv, watch: true, timeoutSeconds: 300, cancellationToken: c), onError, c), logger, _time);

        environments.Changed += (_, environment) => queue.Add(TaskWorkspace.KeyOf(environment));
        jobs.Changed += (_, job) => EnqueueOwner(queue, job.Metadata);
        pods.Changed += (_, pod) => EnqueueOwner(queue, pod.Metadata);
        void OnDrained(string key) => queue.Add(key);
        logs.Drained += OnDrained;
        logs.Start(ct);
        Informer = environments;

        var informing = new[] { environments.RunAsync(ct), jobs.RunAsync(ct), pods.RunAsync(ct) };
        var workers = Enumerable.Range(0, Math.Max(1, options.Workers)).Select(_ => WorkAsync(queue, environments, ct)).ToArray();
        try
        {
            await Task.WhenAll(informing.Concat(workers));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            logs.Drained -= OnDrained;
            await logs.StopAsync();
        }
    }

    private static void EnqueueOwner(WorkQueue queue, V1ObjectMeta metadata)
    {
        if (metadata.Labels is { } labels
            && labels.TryGetValue(TaskWorkspace.EnvironmentNamespaceLabel, out var ns) && labels.TryGetValue(TaskWorkspace.EnvironmentNameLabel, out var name))
            queue.Add($"{ns}/{name}");
    }

    private async Task WorkAsync(WorkQueue queue, ResourceInformer<V1Alpha1Environment> environments, CancellationToken ct)
    {
        await environments.Synced.WaitAsync(ct);
        var failures = new Dictionary<string, int>();
        while (!ct.IsCancellationRequested)
        {
            string key;
            try
            {
                key = await queue.TakeAsync(ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            long started = 0;
            try
            {
                if (!environments.TryGet(key, out var cached))
                {
                    logs.Forget(key);
                    continue;
                }
                // The cache is shared: the reconcile works on its own copy.
                var environment = Environments.Convert<V1Alpha1Environment>(KubernetesJson.Serialize(cached));
                started = Stopwatch.GetTimestamp();
                var again = await controller.ReconcileAsync(environment, ct);
                OperatorMetrics.Reconciled(Stopwatch.GetElapsedTime(started), "success");
                failures.Remove(key);
                if (again is { } delay) queue.AddAfter(key, delay);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                if (started != 0) OperatorMetrics.Reconciled(Stopwatch.GetElapsedTime(started), Environments.IsConflict(e) ? "conflict" : "error");
                var count = failures[key] = failures.GetValueOrDefault(key) + 1;
                if (!Environments.IsConflict(e)) logger.LogWarning(e, "Reconciling environment {Key} failed (attempt {Count})", key, count);
                queue.AddAfter(key, TimeSpan.FromMilliseconds(Math.Min(30_000, 50 * (1 << Math.Min(count, 10)))));
            }
            finally
            {
                queue.Done(key);
            }
        }
    }

    private static async IAsyncEnumerable<(WatchEventType, T)> Watch<T, TList>(Task<k8s.Autorest.HttpOperationResponse<TList>> response, Action<Exception> onError,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
#pragma warning disable CS0618 // The typed watch over a list call.
        await foreach (var change in response.WatchAsync<T, TList>(onError, ct)) yield return change;
#pragma warning restore CS0618
    }
}
