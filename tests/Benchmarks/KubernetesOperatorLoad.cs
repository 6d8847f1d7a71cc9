using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Catalyst.KubernetesLoopback;
using Catalyst.Operator.Kubernetes;
using Catalyst.Operator.Kubernetes.Controllers;
using Catalyst.Operator.Kubernetes.Entities;
using Catalyst.Operator.Kubernetes.Finalizers;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

/// <summary>
/// The operator against the loopback API server. The operator runs in a process of its own (this program started again
/// with <c>kubernetes-operator &lt;url&gt;</c>), with the real KubernetesClient, so its memory is its own; this process
/// holds the API server and creates the Environments (and their token Secrets) the way the Host does. The kubelet
/// stand-in runs no pods: the figures are the operator's, not the runner's.
/// </summary>
static class KubernetesOperatorLoad
{
    private const string HostNamespace = "catalyst";

    public static async Task<IReadOnlyList<string>> MeasureAsync(int samples = 200, int burst = 200)
    {
        var lines = new List<string>();

        // Environment created → Job created, one Environment at a time.
        await using (var server = await StartServerAsync())
        await using (var op = await OperatorChild.StartAsync(server.Url))
        {
            using var client = server.CreateClient();
            using var jobs = new JobArrivals(server);
            for (var i = 0; i < 5; i++) await CreateAndWaitAsync(client, jobs);
            var latencies = new List<double>();
            for (var i = 0; i < samples; i++) latencies.Add(await CreateAndWaitAsync(client, jobs));
            latencies.Sort();
            lines.Add($"kubernetes: Environment created → Job created, one at a time: p50 {Percentile(latencies, 50):F1} ms, p99 {Percentile(latencies, 99):F1} ms, " +
                      $"max {latencies[^1]:F1} ms over {samples} Environments (target p99 ≤ 50 ms)");
        }

        // Many at once, and the operator's memory before and after.
        await using (var server = await StartServerAsync())
        await using (var op = await OperatorChild.StartAsync(server.Url))
        {
            using var client = server.CreateClient();
            using var jobs = new JobArrivals(server);
            var idle = await op.MemoryAsync();
            var before = server.Requests.All.Count;
            var ids = Enumerable.Range(0, burst).Select(_ => Guid.NewGuid()).ToList();
            var started = Stopwatch.GetTimestamp();
            var created = 0L;
            await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (id, ct) =>
            {
                await CreateAsync(client, id, ct);
                Interlocked.Exchange(ref created, Stopwatch.GetTimestamp());
            });
            var arrivals = await Task.WhenAll(ids.Select(jobs.ArrivalOf));
            var all = Stopwatch.GetElapsedTime(started, arrivals.Max()).TotalSeconds;
            var creating = Stopwatch.GetElapsedTime(started, created).TotalSeconds;
            // This program's own requests: a Secret and an Environment for each.
            var operatorRequests = server.Requests.All.Count - before - 2 * burst;
            lines.Add($"kubernetes: {burst} Environments created at once (16 requests in flight, {creating:F2} s to create them): all {burst} Jobs created " +
                      $"{all:F2} s after the first request = {burst / all:F0} Jobs/s (target ≥ 100/s); the operator sent {operatorRequests / (double)burst:F1} requests per Environment by then");

            // Converged: every Environment has the status the operator writes once its Job exists.
            var environments = server.Resource("catalyst.dev", "environments");
            await server.WaitForListAsync(environments, HostNamespace,
                items => items.Count == burst && items.All(e => (string?)e["status"]?["phase"] is not (null or "" or "Pending")), timeout: TimeSpan.FromSeconds(120));
            await Task.Delay(TimeSpan.FromSeconds(2));
            var loaded = await op.MemoryAsync();
            lines.Add($"kubernetes: operator memory idle (leading, no Environment): managed heap {Mib(idle.Heap)}, RSS {Mib(idle.Rss)}; " +
                      $"with {burst} Environments converged: managed heap {Mib(loaded.Heap)}, RSS {Mib(loaded.Rss)} " +
                      $"(≈ {(loaded.Heap - idle.Heap) / (double)burst / 1024:F0} KiB of heap per Environment)");
        }
        return lines;
    }

    private static string Mib(long bytes) => $"{bytes / 1024d / 1024:F1} MiB";

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static async Task<LoopbackApiServer> StartServerAsync()
    {
        var server = await LoopbackApiServer.StartAsync(o => o.RunPods = false);
        using var client = server.CreateClient();
        var crd = KubernetesYaml.Deserialize<V1CustomResourceDefinition>(await File.ReadAllTextAsync(RepositoryFile("deploy/kubernetes/crd/environments.catalyst.dev.yaml")));
        await client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(crd);
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = HostNamespace } });
        return server;
    }

    private static async Task<double> CreateAndWaitAsync(IKubernetes client, JobArrivals jobs)
    {
        var id = Guid.NewGuid();
        var arrival = jobs.ArrivalOf(id);
        var sent = await CreateAsync(client, id, CancellationToken.None);
        return Stopwatch.GetElapsedTime(sent, await arrival).TotalMilliseconds;
    }

    private static string? _example;

    /// <summary>The example Environment (deploy/kubernetes/examples) for a task of its own, with its token Secret first; answers when the Environment's create was sent.</summary>
    private static async Task<long> CreateAsync(IKubernetes client, Guid id, CancellationToken ct)
    {
        _example ??= await File.ReadAllTextAsync(RepositoryFile("deploy/kubernetes/examples/agent-workspace.yaml"), ct);
        var objects = KubernetesYaml.LoadAllFromString(_example,
            new Dictionary<string, Type> { ["v1/Secret"] = typeof(V1Secret), [$"{V1Alpha1Environment.ApiGroupVersion}/{V1Alpha1Environment.EntityKind}"] = typeof(V1Alpha1Environment) });
        var secret = objects.OfType<V1Secret>().Single();
        var environment = objects.OfType<V1Alpha1Environment>().Single();
        secret.Metadata.Name = $"task-{id:N}-access";
        secret.StringData = new Dictionary<string, string> { ["token"] = $"cat_task_{id:N}" };
        environment.Metadata.Name = $"task-{id:N}";
        environment.Spec.AgentConfig.TaskId = id.ToString();
        environment.Spec.AgentConfig.CredentialSecretRef.Name = secret.Metadata.Name;
        await client.CoreV1.CreateNamespacedSecretAsync(secret, HostNamespace, cancellationToken: ct);
        var sent = Stopwatch.GetTimestamp();
        await Environments.CreateAsync(client, environment, ct);
        return sent;
    }

    private static string RepositoryFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Catalyst.sln"))) return Path.Combine(dir.FullName, relative);
        throw new FileNotFoundException("Catalyst.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>When each task's Job appeared in the store (its namespace names the task).</summary>
    private sealed class JobArrivals : IDisposable
    {
        private readonly ConcurrentDictionary<string, TaskCompletionSource<long>> _arrivals = new();
        private readonly CancellationTokenSource _stop = new();

        public JobArrivals(LoopbackApiServer server) => _ = Task.Run(async () =>
        {
            try
            {
                await foreach (var change in server.ObserveAsync(ResourceCatalog.Jobs, null, _stop.Token))
                    if (change.Type == "ADDED" && change.Namespace is { } ns) Of(ns).TrySetResult(Stopwatch.GetTimestamp());
            }
            catch (OperationCanceledException) { }
        });

        private TaskCompletionSource<long> Of(string ns) => _arrivals.GetOrAdd(ns, _ => new(TaskCreationOptions.RunContinuationsAsynchronously));

        public Task<long> ArrivalOf(Guid taskId) => Of($"catalyst-task-{taskId.ToString("N")[^8..]}").Task.WaitAsync(TimeSpan.FromSeconds(120));

        public void Dispose() => _stop.Cancel();
    }

    /// <summary>The operator in this process (the child's side): leads, reconciles, and tells its memory when asked.</summary>
    public static async Task<int> RunOperatorAsync(string apiServer)
    {
        var client = new k8s.Kubernetes(new KubernetesClientConfiguration { Host = apiServer });
        var options = new KubernetesOperatorOptions
        {
            LeaseNamespace = HostNamespace,
            Identity = "bench-operator",
            LeaseDuration = TimeSpan.FromSeconds(3),
            RenewDeadline = TimeSpan.FromSeconds(2),
            RetryPeriod = TimeSpan.FromMilliseconds(300),
        };
        Microsoft.Extensions.Logging.ILoggerFactory loggers = NullLoggerFactory.Instance;
        var events = new DiscardedEvents();
        var logs = new WorkspaceLogs(client, events, loggers.CreateLogger<WorkspaceLogs>());
        var controller = new EnvironmentController(client, options, new TaskNamespaceFinalizer(client, loggers.CreateLogger<TaskNamespaceFinalizer>()), logs, events,
            loggers.CreateLogger<EnvironmentController>());
        var op = new EnvironmentOperator(client, options, controller, logs, loggers.CreateLogger<EnvironmentOperator>());
        await op.StartAsync(CancellationToken.None);
        while (!op.IsLeader) await Task.Delay(50);
        Console.WriteLine("leading");
        while (Console.ReadLine() is { } line)
        {
            if (line != "memory") continue;
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            var heap = GC.GetTotalMemory(forceFullCollection: true);
            using var self = Process.GetCurrentProcess();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"memory {heap} {self.WorkingSet64}"));
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await op.StopAsync(timeout.Token);
        return 0;
    }

    private sealed class DiscardedEvents : IWorkspaceEvents
    {
        public ValueTask PublishAsync(object message, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    private sealed class OperatorChild : IAsyncDisposable
    {
        private readonly Process _process;

        private OperatorChild(Process process) => _process = process;

        public static async Task<OperatorChild> StartAsync(string apiServer)
        {
            var start = new ProcessStartInfo("dotnet", [typeof(KubernetesOperatorLoad).Assembly.Location, "kubernetes-operator", apiServer])
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            var child = new OperatorChild(Process.Start(start)!);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (await child._process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
                if (line == "leading") return child;
            throw new InvalidOperationException("The operator process ended before it led.");
        }

        public async Task<(long Heap, long Rss)> MemoryAsync()
        {
            await _process.StandardInput.WriteLineAsync("memory");
            await _process.StandardInput.FlushAsync();
            while (await _process.StandardOutput.ReadLineAsync() is { } line)
                if (line.StartsWith("memory ", StringComparison.Ordinal))
                {
                    var parts = line.Split(' ');
                    return (long.Parse(parts[1], CultureInfo.InvariantCulture), long.Parse(parts[2], CultureInfo.InvariantCulture));
                }
            throw new InvalidOperationException("The operator process ended.");
        }

        public async ValueTask DisposeAsync()
        {
            _process.StandardInput.Close();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try { await _process.WaitForExitAsync(timeout.Token); }
            catch (OperationCanceledException) { _process.Kill(entireProcessTree: true); }
            _process.Dispose();
        }
    }
}
