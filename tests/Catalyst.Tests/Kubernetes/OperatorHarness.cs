using System.Collections.Concurrent;
using Catalyst.KubernetesLoopback;
using Catalyst.Operator.Kubernetes;
using Catalyst.Operator.Kubernetes.Controllers;
using Catalyst.Operator.Kubernetes.Entities;
using Catalyst.Operator.Kubernetes.Finalizers;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Catalyst.Tests.Kubernetes;

/// <summary>What an operator logged, for a failing test's message.</summary>
public sealed class RecordedLog : ILoggerProvider, ILogger
{
    public ConcurrentQueue<string> Lines { get; } = new();
    public ILogger CreateLogger(string categoryName) => this;
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel)) Lines.Enqueue($"{logLevel}: {formatter(state, exception)}{(exception is null ? "" : " " + exception)}");
    }
    public void Dispose() { }
    public override string ToString() => string.Join('\n', Lines);
}

/// <summary>The requests one client sent (method, path, query).</summary>
public sealed class RecordedCalls : DelegatingHandler
{
    public ConcurrentQueue<(string Method, string Path, string Query)> Requests { get; } = new();

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Requests.Enqueue((request.Method.Method, request.RequestUri!.AbsolutePath, request.RequestUri.Query));
        return base.SendAsync(request, cancellationToken);
    }
}

/// <summary>The messages an operator sent to the Host, in order.</summary>
public sealed class RecordedWorkspaceEvents : IWorkspaceEvents
{
    public ConcurrentQueue<object> Messages { get; } = new();

    public ValueTask PublishAsync(object message, CancellationToken cancellationToken)
    {
        Messages.Enqueue(message);
        return ValueTask.CompletedTask;
    }
}

/// <summary>One operator replica against a loopback API server: the real KubernetesClient, the real controller.</summary>
public sealed class OperatorReplica : IAsyncDisposable
{
    private readonly k8s.Kubernetes _client;
    private readonly ILoggerFactory _loggers;

    public OperatorReplica(LoopbackApiServer server, string identity, KubernetesOperatorOptions? options = null, RecordedWorkspaceEvents? events = null)
    {
        _client = new k8s.Kubernetes(new KubernetesClientConfiguration { Host = server.Url }, Calls);
        Options = (options ?? OperatorHarness.FastOptions) with { Identity = identity };
        Events = events ?? new RecordedWorkspaceEvents();
        _loggers = LoggerFactory.Create(b => b.AddProvider(Log));
        var previous = OperatorHarness.Diagnostics.Value;
        OperatorHarness.Diagnostics.Value = () => $"{previous?.Invoke()}\n{identity} logged:\n{Log}\nlast requests:\n{string.Join("\n", server.Requests.All.TakeLast(40))}";
        Logs = new WorkspaceLogs(_client, Events, _loggers.CreateLogger<WorkspaceLogs>());
        Controller = new EnvironmentController(_client, Options, new TaskNamespaceFinalizer(_client, _loggers.CreateLogger<TaskNamespaceFinalizer>()), Logs, Events,
            _loggers.CreateLogger<EnvironmentController>());
        Operator = new EnvironmentOperator(_client, Options, Controller, Logs, _loggers.CreateLogger<EnvironmentOperator>());
    }

    public RecordedLog Log { get; } = new();

    /// <summary>Every request this replica sent, as it sent it.</summary>
    public RecordedCalls Calls { get; } = new();
    public KubernetesOperatorOptions Options { get; }
    public RecordedWorkspaceEvents Events { get; }
    public WorkspaceLogs Logs { get; }
    public EnvironmentController Controller { get; }
    public EnvironmentOperator Operator { get; }

    public Task StartAsync() => Operator.StartAsync(CancellationToken.None);

    public async Task StopAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await Operator.StopAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Operator.Dispose();
        _client.Dispose();
        _loggers.Dispose();
    }
}

public static class OperatorHarness
{
    public const string HostNamespace = "catalyst";

    public static KubernetesOperatorOptions FastOptions { get; } = new()
    {
        LeaseNamespace = HostNamespace,
        LeaseDuration = TimeSpan.FromSeconds(3),
        RenewDeadline = TimeSpan.FromSeconds(2),
        RetryPeriod = TimeSpan.FromMilliseconds(300),
        StartTimeout = TimeSpan.FromSeconds(3),
        TerminationGraceSeconds = 10,
    };

    /// <summary>A loopback API server with the real CRD (deploy/kubernetes/crd) and the Host's namespace.</summary>
    public static async Task<LoopbackApiServer> StartClusterAsync(Action<LoopbackOptions>? configure = null)
    {
        var server = await LoopbackApiServer.StartAsync(configure);
        using var client = server.CreateClient();
        var crd = KubernetesYaml.Deserialize<V1CustomResourceDefinition>(await File.ReadAllTextAsync(RepositoryFiles.PathOf("deploy/kubernetes/crd/environments.catalyst.dev.yaml")));
        await client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(crd);
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = HostNamespace } });
        return server;
    }

    /// <summary>deploy/kubernetes/examples/agent-workspace.yaml (its Secret and its Environment), for a task of its own.</summary>
    public static async Task<V1Alpha1Environment> CreateExampleAsync(IKubernetes client, Guid? taskId = null, Action<V1Alpha1Environment>? change = null)
    {
        var id = taskId ?? Guid.NewGuid();
        var objects = KubernetesYaml.LoadAllFromString(await File.ReadAllTextAsync(RepositoryFiles.PathOf("deploy/kubernetes/examples/agent-workspace.yaml")),
            new Dictionary<string, Type> { ["v1/Secret"] = typeof(V1Secret), [$"{V1Alpha1Environment.ApiGroupVersion}/{V1Alpha1Environment.EntityKind}"] = typeof(V1Alpha1Environment) });
        var secret = objects.OfType<V1Secret>().Single();
        var environment = objects.OfType<V1Alpha1Environment>().Single();
        secret.Metadata.Name = $"task-{id:N}-access";
        secret.StringData = new Dictionary<string, string> { ["token"] = TaskToken(id) };
        environment.Metadata.Name = $"task-{id:N}";
        environment.Spec.AgentConfig.TaskId = id.ToString();
        environment.Spec.AgentConfig.CredentialSecretRef.Name = secret.Metadata.Name;
        change?.Invoke(environment);
        await client.CoreV1.CreateNamespacedSecretAsync(secret, HostNamespace);
        return await Environments.CreateAsync(client, environment, CancellationToken.None);
    }

    /// <summary>What the Host would have issued; the tests look for it where it must never be.</summary>
    public static string TaskToken(Guid taskId) => $"cat_task_{taskId:N}_secret";

    /// <summary>Said when a wait times out (what the operator logged, the last requests): set by each test's replica.</summary>
    public static readonly AsyncLocal<Func<string>?> Diagnostics = new();

    public static async Task<T> EventuallyAsync<T>(Func<Task<T?>> probe, string what, TimeSpan? timeout = null) where T : class
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await probe() is { } value) return value;
            }
            catch (HttpOperationException e)
            {
                last = e;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"Timed out waiting for {what}.{(Diagnostics.Value is { } describe ? "\n" + describe() : "")}", last);
    }

    public static Task EventuallyAsync(Func<Task<bool>> probe, string what, TimeSpan? timeout = null) =>
        EventuallyAsync<object>(async () => await probe() ? new object() : null, what, timeout);

    public static async Task<T?> ReadOrNullAsync<T>(Func<Task<T>> read) where T : class
    {
        try
        {
            return await read();
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }
}
