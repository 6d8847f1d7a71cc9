using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Catalyst.Contracts;
using Catalyst.Operator.Kubernetes.Entities;
using Catalyst.Operator.Sandbox;
using k8s;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Wolverine;
using Wolverine.Runtime;

namespace Catalyst.Operator.Kubernetes.Backend;

/// <summary>
/// The egress proxy of the Kubernetes backend: one listener on each Host pod (<c>Catalyst:Workspaces:Kubernetes:EgressProxyUrls</c>,
/// behind its own Service), which a task's pod reaches with its task id and task token as proxy credentials. The task's
/// Environment says what it may reach (its project's allow-list) and holds the token's hash: one task cannot use
/// another's allow-list, and a task that ended (or whose Environment is gone) reaches nothing. Refusals show on the
/// task's log as warnings, as on the local backend.
/// </summary>
public sealed class KubernetesEgressProxy(
    IKubernetes client,
    KubernetesWorkspaceOptions options,
    IWolverineRuntime runtime,
    ILogger<KubernetesEgressProxy> logger,
    TimeProvider? time = null) : IHostedService, IAsyncDisposable
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(5);
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ConcurrentDictionary<string, (EgressGrant Grant, DateTimeOffset Until)> _grants = new();
    private EgressProxy? _proxy;

    /// <summary>Where it listens, once started.</summary>
    public IPEndPoint? EndPoint => _proxy?.EndPoint;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.EgressProxyUrls is not { } listen) return Task.CompletedTask;
        var url = new Uri(listen);
        if (url.Scheme != "http") throw new InvalidOperationException($"Catalyst:Workspaces:Kubernetes:EgressProxyUrls: the egress proxy is plain http (CONNECT carries TLS end to end), not {url}.");
        var address = url.Host switch
        {
            "localhost" => IPAddress.Loopback,
            "*" or "+" or "0.0.0.0" => IPAddress.Any,
            var host => IPAddress.Parse(host.Trim('[', ']')),
        };
        _proxy = EgressProxy.StartTcp(new IPEndPoint(address, url.Port), AuthorizeAsync, logger);
        logger.LogInformation("The egress proxy for cluster workspaces listens on {EndPoint}", _proxy.EndPoint);
        return Task.CompletedTask;
    }

    /// <summary><c>Basic base64(taskId:token)</c> → the task's allow-list, while its Environment runs and the token is its own.</summary>
    private async ValueTask<EgressGrant?> AuthorizeAsync(string? authorization, CancellationToken cancellationToken)
    {
        if (authorization is null || !authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase) || authorization.Length > 512) return null;
        string credentials;
        try
        {
            credentials = Encoding.UTF8.GetString(Convert.FromBase64String(authorization[6..].Trim()));
        }
        catch (FormatException)
        {
            return null;
        }
        var colon = credentials.IndexOf(':');
        if (colon < 0 || !Guid.TryParse(credentials[..colon], out var taskId)) return null;
        var hash = KubernetesWorkspaces.EgressTokenHash(Uri.UnescapeDataString(credentials[(colon + 1)..]));
        var key = $"{taskId:N}:{hash}";
        var now = _time.GetUtcNow();
        if (_grants.TryGetValue(key, out var cached) && cached.Until > now) return cached.Grant;

        V1Alpha1Environment? environment;
        try
        {
            environment = await Environments.ReadAsync(client, options.Namespace, KubernetesWorkspaces.EnvironmentName(taskId), cancellationToken);
        }
        catch (Exception e) when (e is k8s.Autorest.HttpOperationException or HttpRequestException)
        {
            logger.LogWarning(e, "Could not read the Environment of task {TaskId} for its egress", taskId);
            return null;
        }
        if (environment is null || environment.Metadata.DeletionTimestamp is not null || environment.Spec.Stop is not null
            || environment.Status?.Log?.ExitedSent == true) return null;
        var expected = environment.Metadata.Annotations?.TryGetValue(KubernetesWorkspaces.EgressTokenHashAnnotation, out var value) == true ? value : null;
        if (expected is null || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(hash))) return null;

        var grant = new EgressGrant(EgressAllowList.Parse(environment.Spec.AgentConfig.Egress.AllowList), refused => WarnAsync(taskId, refused));
        if (_grants.Count > 10_000) _grants.Clear();
        _grants[key] = (grant, now + Lifetime);
        return grant;
    }

    private async ValueTask WarnAsync(Guid taskId, string refused) =>
        await new MessageBus(runtime).PublishAsync(new AgentOutput(taskId, [new OutputLine(_time.GetUtcNow(), OutputStream.SystemWarning, refused)]));

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _proxy, null) is { } proxy) await proxy.DisposeAsync();
    }
}
