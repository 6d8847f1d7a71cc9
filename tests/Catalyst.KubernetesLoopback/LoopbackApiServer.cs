using System.Net;
using System.Text.Json.Nodes;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Catalyst.KubernetesLoopback;

/// <summary>
/// A Kubernetes API server on 127.0.0.1 for tests: plain HTTP, objects in memory, the real wire protocol
/// (so the real KubernetesClient and the real kubectl talk to it), with a garbage collector, a namespace
/// controller, a Job controller and a kubelet stand-in that runs pods as local processes.
/// </summary>
public sealed class LoopbackApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _controllers = [];
    private readonly string _root;
    private readonly bool _ownsRoot;

    private LoopbackApiServer(WebApplication app, ObjectStore store, LoopbackOptions options, string root, bool ownsRoot)
    {
        _app = app;
        Store = store;
        Options = options;
        _root = root;
        _ownsRoot = ownsRoot;
        Faults = new LoopbackFaults(store);
        Kubelet = new Kubelet(store, Faults, options, Path.Combine(root, "pods"));
    }

    public ObjectStore Store { get; }
    public LoopbackOptions Options { get; }
    public LoopbackFaults Faults { get; }
    public RequestLog Requests { get; } = new();

    /// <summary>Exceptions the server itself threw while answering (each one was a 500): a test can assert there were none.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<Exception> Failures { get; } = new();
    internal Kubelet Kubelet { get; }

    /// <summary>http://127.0.0.1:PORT, without a trailing slash.</summary>
    public string Url { get; private set; } = "";

    /// <summary>A kubeconfig file whose current context points at this server (for kubectl).</summary>
    public string KubeconfigPath { get; private set; } = "";

    public static async Task<LoopbackApiServer> StartAsync(Action<LoopbackOptions>? configure = null)
    {
        var options = new LoopbackOptions();
        configure?.Invoke(options);
        var ownsRoot = options.WorkRoot is null;
        var root = options.WorkRoot ?? Directory.CreateTempSubdirectory("catalyst-kube-").FullName;
        Directory.CreateDirectory(root);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var store = new ObjectStore(new ResourceCatalog(), options.WatchHistory, TimeProvider.System);
        var server = new LoopbackApiServer(app, store, options, root, ownsRoot);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Url = address.TrimEnd('/');
        server.KubeconfigPath = Path.Combine(root, "kubeconfig");
        await File.WriteAllTextAsync(server.KubeconfigPath, $$"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: loopback
              cluster:
                server: {{server.Url}}
            users:
            - name: loopback
              # The server checks no credentials, but a client refuses a user without any (KubernetesClient's KubeConfigException).
              user:
                token: loopback
            contexts:
            - name: loopback
              context:
                cluster: loopback
                user: loopback
                namespace: default
            current-context: loopback
            """);
        foreach (var ns in new[] { "default", "kube-system", "kube-public", "kube-node-lease" })
            store.Create(ResourceCatalog.Namespaces, null, new JsonObject { ["metadata"] = new JsonObject { ["name"] = ns } });
        server._controllers.Add(new GarbageCollector(store).RunAsync(server._stop.Token));
        server._controllers.Add(new JobController(store, TimeProvider.System, server._stop.Token).RunAsync(server._stop.Token));
        if (options.RunPods)
        {
            store.GracefulDeletion = server.Kubelet.GracePeriodFor;
            server._controllers.Add(server.Kubelet.RunAsync(server._stop.Token));
        }
        return server;
    }

    /// <summary>A KubernetesClient pointed at this server.</summary>
    public Kubernetes CreateClient() => new(new KubernetesClientConfiguration { Host = Url });

    /// <summary>
    /// Waits until the object satisfies <paramref name="condition"/> (null when it does not exist), driven by
    /// the store's changes, not by polling; answers the object as it stood then.
    /// </summary>
    public async Task<JsonObject?> WaitForAsync(ResourceType type, string? ns, string name, Func<JsonObject?, bool> condition, TimeSpan? timeout = null)
    {
        var (subscription, _, _) = Store.Watch(type, ns, null, null, "0", external: false);
        try
        {
            using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
            var current = Store.Get(type, ns, name);
            if (condition(current)) return current;
            try
            {
                await foreach (var change in subscription!.Events.Reader.ReadAllAsync(cts.Token))
                {
                    if (change.Name != name) continue;
                    current = change.Type == "DELETED" ? null : change.Object;
                    if (condition(current)) return current;
                }
            }
            catch (OperationCanceledException)
            {
            }
            throw new TimeoutException($"{type.QualifiedPlural} {ns}/{name} did not reach the awaited state; last seen: {current?.ToJsonString() ?? "absent"}");
        }
        finally { Store.Unsubscribe(subscription!); }
    }

    /// <summary>Waits until the objects of a kind in a namespace (all when null) satisfy <paramref name="condition"/>; answers them.</summary>
    public async Task<IReadOnlyList<JsonObject>> WaitForListAsync(ResourceType type, string? ns, Func<IReadOnlyList<JsonObject>, bool> condition,
        string? labelSelector = null, TimeSpan? timeout = null)
    {
        var labels = LabelSelector.Parse(labelSelector);
        var (subscription, _, _) = Store.Watch(type, ns, null, null, "0", external: false);
        try
        {
            using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
            var current = Store.List(type, ns, labels).Items;
            if (condition(current)) return current;
            try
            {
                await foreach (var _ in subscription!.Events.Reader.ReadAllAsync(cts.Token))
                {
                    current = Store.List(type, ns, labels).Items;
                    if (condition(current)) return current;
                }
            }
            catch (OperationCanceledException)
            {
            }
            throw new TimeoutException($"{type.QualifiedPlural} in {ns ?? "all namespaces"} did not reach the awaited state; last seen: {new JsonArray(current.Select(c => (JsonNode)c).ToArray()).ToJsonString()}");
        }
        finally { Store.Unsubscribe(subscription!); }
    }

    /// <summary>Every change the store makes from now on, of one kind (all kinds when null), as watches see them.</summary>
    public async IAsyncEnumerable<WatchEvent> ObserveAsync(ResourceType? type, string? ns, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var (subscription, _, _) = Store.Watch(type, ns, null, null, Store.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), external: false);
        try
        {
            await foreach (var change in subscription!.Events.Reader.ReadAllAsync(cancellationToken)) yield return change;
        }
        finally { Store.Unsubscribe(subscription!); }
    }

    /// <summary>Creates an object straight in the store (not through HTTP, so not in the request log); its kind picks the resource.</summary>
    public JsonObject Seed(JsonObject obj)
    {
        var type = Store.Catalog.FindByKind((string?)obj["apiVersion"] ?? "", (string?)obj["kind"] ?? "")
                   ?? throw new InvalidOperationException($"no resource of kind {obj["kind"]} in {obj["apiVersion"]} is served");
        return Store.Create(type, type.Namespaced ? (string?)obj["metadata"]?["namespace"] ?? "default" : null, obj);
    }

    /// <summary>Finds the type of a resource by group and plural (custom resources appear once their CRD is created).</summary>
    public ResourceType Resource(string group, string plural) =>
        Store.Catalog.All.FirstOrDefault(t => t.Group == group && t.Plural == plural)
        ?? throw new InvalidOperationException($"no resource {plural}.{group} is served");

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        Store.DropExternalWatches();
        Kubelet.KillAll();
        await Task.WhenAll(_controllers).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (_ownsRoot)
            try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var started = DateTimeOffset.UtcNow;
        var logged = false;
        context.Items["log"] = (Action<int>)(status =>
        {
            if (logged) return;
            logged = true;
            Requests.Add(request.Method, request.Path.Value ?? "", request.QueryString.Value ?? "", status, started);
        });
        try
        {
            await new ApiRequestHandler(this, context).HandleAsync();
        }
        catch (ApiError error)
        {
            if (!context.Response.HasStarted) await WriteJsonAsync(context, error.Code, error.ToStatus());
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            Failures.Enqueue(e);
            if (!context.Response.HasStarted)
                await WriteJsonAsync(context, 500, ApiError.Status(500, "InternalError", $"loopback API server failure: {e}"));
        }
        finally
        {
            ((Action<int>)context.Items["log"]!)(context.Response.StatusCode);
        }
    }

    internal static async Task WriteJsonAsync(HttpContext context, int status, JsonNode body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }
}
