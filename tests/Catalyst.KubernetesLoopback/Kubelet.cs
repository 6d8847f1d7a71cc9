using Microsoft.AspNetCore.Http;

namespace Catalyst.KubernetesLoopback;

/// <summary>The node of the loopback cluster. Pods stay Pending until it runs them (next step).</summary>
internal sealed class Kubelet(ObjectStore store, LoopbackFaults faults, LoopbackOptions options, string root)
{
    public Task RunAsync(CancellationToken stop) => Task.CompletedTask;

    public void KillAll() { }

    public Task ServeLogAsync(HttpContext context, string ns, string name)
    {
        var pod = store.GetOrThrow(ResourceCatalog.Pods, ns, name);
        _ = (faults, options, root);
        var container = (string?)pod["spec"]?["containers"]?[0]?["name"] ?? "";
        throw ApiError.BadRequest($"container \"{container}\" in pod \"{name}\" is waiting to start: ContainerCreating");
    }
}
