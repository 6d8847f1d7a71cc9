using System.Text.Json.Nodes;
using Catalyst.KubernetesLoopback;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Catalyst.Tests.Kubernetes;

[Trait("Category", "Kubernetes")]
public sealed class deletion_on_the_loopback_api_server
{
    private const string G = LoopbackCluster.Group, V = LoopbackCluster.Version, P = LoopbackCluster.Plural;

    [Fact]
    public async Task a_finalizer_holds_a_deleted_object_with_a_deletion_timestamp_until_the_last_one_is_removed()
    {
        await using var server = await LoopbackCluster.StartWithEnvironmentsAsync();
        using var client = server.CreateClient();
        var environment = LoopbackCluster.Environment("env-a");
        environment["metadata"]!["finalizers"] = new JsonArray("catalyst.dev/namespace");
        await client.CreateEnvironmentAsync(environment);

        await client.CustomObjects.DeleteNamespacedCustomObjectAsync(G, V, "default", P, "env-a");
        var held = await client.GetEnvironmentAsync("env-a");
        held["metadata"]!["deletionTimestamp"].ShouldNotBeNull();

        held["metadata"]!["finalizers"] = new JsonArray("catalyst.dev/namespace", "sneaked-in");
        var added = await Should.ThrowAsync<HttpOperationException>(() => client.CustomObjects.ReplaceNamespacedCustomObjectAsync(held, G, V, "default", P, "env-a"));
        added.StatusCode().ShouldBe(422);

        held["metadata"]!.AsObject().Remove("finalizers");
        await client.CustomObjects.ReplaceNamespacedCustomObjectAsync(held, G, V, "default", P, "env-a");
        var gone = await Should.ThrowAsync<HttpOperationException>(() => client.GetEnvironmentAsync("env-a"));
        gone.StatusCode().ShouldBe(404);
    }

    [Fact]
    public async Task a_deleted_namespace_terminates_refuses_new_content_waits_for_finalizers_then_goes()
    {
        await using var server = await LoopbackCluster.StartWithEnvironmentsAsync(o => o.RunPods = false);
        using var client = server.CreateClient();
        await client.CreateNamespaceAsync("catalyst-task-0a1b2c3d");
        var held = LoopbackCluster.Environment("held", ns: "catalyst-task-0a1b2c3d");
        held["metadata"]!["finalizers"] = new JsonArray("catalyst.dev/cleanup");
        await client.CreateEnvironmentAsync(held);
        await client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "task" }, StringData = new Dictionary<string, string> { ["K"] = "v" } }, "catalyst-task-0a1b2c3d");

        await client.CoreV1.DeleteNamespaceAsync("catalyst-task-0a1b2c3d");
        (await client.CoreV1.ReadNamespaceAsync("catalyst-task-0a1b2c3d")).Status.Phase.ShouldBe("Terminating");

        var refused = await Should.ThrowAsync<HttpOperationException>(() =>
            client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "late" } }, "catalyst-task-0a1b2c3d"));
        refused.StatusCode().ShouldBe(403);
        ((string)refused.StatusBody()["message"]!).ShouldContain("unable to create new content in namespace catalyst-task-0a1b2c3d because it is being terminated");

        await server.WaitForAsync(ResourceCatalog.Secrets, "catalyst-task-0a1b2c3d", "task", s => s is null);
        var waiting = await server.WaitForAsync(ResourceCatalog.Namespaces, null, "catalyst-task-0a1b2c3d",
            n => n?["status"]?["conditions"] is JsonArray { Count: > 0 });
        ((string?)waiting!["status"]!["phase"]).ShouldBe("Terminating");
        ((string?)waiting["status"]!["conditions"]![0]!["type"]).ShouldBe("NamespaceFinalizersRemaining");

        await client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch),
            G, V, "catalyst-task-0a1b2c3d", P, "held");
        await server.WaitForAsync(ResourceCatalog.Namespaces, null, "catalyst-task-0a1b2c3d", n => n is null);
        var gone = await Should.ThrowAsync<HttpOperationException>(() => client.CoreV1.ReadNamespaceAsync("catalyst-task-0a1b2c3d"));
        gone.StatusCode().ShouldBe(404);
    }

    private static V1ConfigMap OwnedBy(string name, JsonObject owner) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            OwnerReferences =
            [
                new V1OwnerReference
                {
                    ApiVersion = (string)owner["apiVersion"]!, Kind = (string)owner["kind"]!, Name = (string)owner["metadata"]!["name"]!,
                    Uid = (string)owner["metadata"]!["uid"]!, Controller = true, BlockOwnerDeletion = true,
                },
            ],
        },
    };

    [Fact]
    public async Task owners_deleted_in_background_take_their_dependents_with_them()
    {
        await using var server = await LoopbackCluster.StartWithEnvironmentsAsync();
        using var client = server.CreateClient();
        var owner = await client.CreateEnvironmentAsync(LoopbackCluster.Environment("env-a"));
        await client.CoreV1.CreateNamespacedConfigMapAsync(OwnedBy("child", owner), "default");

        await client.CustomObjects.DeleteNamespacedCustomObjectAsync(G, V, "default", P, "env-a", propagationPolicy: "Background");
        await server.WaitForAsync(ResourceCatalog.ConfigMaps, "default", "child", c => c is null);
    }

    [Fact]
    public async Task owners_deleted_in_foreground_wait_for_their_dependents_to_go_first()
    {
        await using var server = await LoopbackCluster.StartWithEnvironmentsAsync();
        using var client = server.CreateClient();
        var owner = await client.CreateEnvironmentAsync(LoopbackCluster.Environment("env-a"));
        var child = OwnedBy("child", owner);
        child.Metadata.Finalizers = ["catalyst.dev/hold"];
        await client.CoreV1.CreateNamespacedConfigMapAsync(child, "default");

        await client.CustomObjects.DeleteNamespacedCustomObjectAsync(G, V, "default", P, "env-a", propagationPolicy: "Foreground");
        var waiting = await client.GetEnvironmentAsync("env-a");
        waiting["metadata"]!["deletionTimestamp"].ShouldNotBeNull();
        waiting["metadata"]!["finalizers"]!.AsArray().Select(f => (string?)f).ShouldContain("foregroundDeletion");
        var childBeingDeleted = await server.WaitForAsync(ResourceCatalog.ConfigMaps, "default", "child", c => c?["metadata"]?["deletionTimestamp"] is not null);
        childBeingDeleted.ShouldNotBeNull();
        server.Store.Get(server.Resource(G, P), "default", "env-a").ShouldNotBeNull();

        await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch), "child", "default");
        await server.WaitForAsync(server.Resource(G, P), "default", "env-a", e => e is null);
    }

    [Fact]
    public async Task owners_deleted_with_orphan_leave_their_dependents_without_the_owner_reference()
    {
        await using var server = await LoopbackCluster.StartWithEnvironmentsAsync();
        using var client = server.CreateClient();
        var owner = await client.CreateEnvironmentAsync(LoopbackCluster.Environment("env-a"));
        await client.CoreV1.CreateNamespacedConfigMapAsync(OwnedBy("child", owner), "default");

        await client.CustomObjects.DeleteNamespacedCustomObjectAsync(G, V, "default", P, "env-a", propagationPolicy: "Orphan");
        await server.WaitForAsync(server.Resource(G, P), "default", "env-a", e => e is null);
        var orphan = await client.CoreV1.ReadNamespacedConfigMapAsync("child", "default");
        orphan.Metadata.OwnerReferences.ShouldBeNull();
    }
}
