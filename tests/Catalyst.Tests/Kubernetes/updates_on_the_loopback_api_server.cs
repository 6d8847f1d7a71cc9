using System.Text.Json.Nodes;
using Catalyst.KubernetesLoopback;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Catalyst.Tests.Kubernetes;

[Trait("Category", "Kubernetes")]
public sealed class updates_on_the_loopback_api_server
{
    private const string G = LoopbackCluster.Group, V = LoopbackCluster.Version, P = LoopbackCluster.Plural;

    [Fact]
    public async Task a_put_with_a_stale_resource_version_gets_409_conflict()
    {
        await using var server = await LoopbackApiServer.StartAsync();
        using var client = server.CreateClient();
        var lease = await client.CoordinationV1.CreateNamespacedLeaseAsync(new V1Lease
        {
            Metadata = new V1ObjectMeta { Name = "catalyst-operator" },
            Spec = new V1LeaseSpec { HolderIdentity = "a", LeaseDurationSeconds = 15 },
        }, "default");
        var stale = lease.Metadata.ResourceVersion;
        lease.Spec.HolderIdentity = "b";
        var renewed = await client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, "catalyst-operator", "default");
        long.Parse(renewed.Metadata.ResourceVersion).ShouldBeGreaterThan(long.Parse(stale));

        lease.Metadata.ResourceVersion = stale;
        lease.Spec.HolderIdentity = "c";
        var refused = await Should.ThrowAsync<HttpOperationException>(() => client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, "catalyst-operator", "default"));
        refused.StatusCode().ShouldBe(409);
        var status = refused.StatusBody();
        ((string?)status["reason"]).ShouldBe("Conflict");
        ((string?)status["message"]).ShouldBe("Operation cannot be fulfilled on leases.coordination.k8s.io \"catalyst-operator\": the object has been modified; please apply your changes to the latest version and try again");
        ((string?)status["details"]!["kind"]).ShouldBe("leases");
        (await client.CoordinationV1.ReadNamespacedLeaseAsync("catalyst-operator", "default")).Spec.HolderIdentity.ShouldBe("b");
    }

    [Fact]
    public async Task a_custom_resource_put_without_a_resource_version_is_refused()
    {
        await using var server = await LoopbackCluster.StartWithEnvironmentsAsync();
        using var client = server.CreateClient();
        var created = await client.CreateEnvironmentAsync(LoopbackCluster.Environment("env-a"));
        created["metadata"]!.AsObject().Remove("resourceVersion");
        created["spec"]!["type"] = "other";

        var refused = await Should.ThrowAsync<HttpOperationException>(() => client.CustomObjects.ReplaceNamespacedCustomObjectAsync(created, G, V, "default", P, "env-a"));
        refused.StatusCode().ShouldBe(422);
        ((string)refused.StatusBody()["message"]!).ShouldContain("metadata.resourceVersion");
        ((string?)(await client.GetEnvironmentAsync("env-a"))["spec"]!["type"]).ShouldBe("agent-workspace");
    }

    [Fact]
    public async Task status_writes_change_only_status_object_writes_keep_it_and_generation_moves_only_with_spec()
    {
        await using var server = await LoopbackCluster.StartWithEnvironmentsAsync();
        using var client = server.CreateClient();
        var created = await client.CreateEnvironmentAsync(LoopbackCluster.Environment("env-a"));
        ((long)created["metadata"]!["generation"]!).ShouldBe(1);

        created["status"] = new JsonObject { ["phase"] = "Running" };
        created["spec"]!["type"] = "sneaked-in";
        var afterStatus = LoopbackCluster.Node(await client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync(created, G, V, "default", P, "env-a"));
        ((string?)afterStatus["status"]!["phase"]).ShouldBe("Running");
        ((string?)afterStatus["spec"]!["type"]).ShouldBe("agent-workspace");
        ((long)afterStatus["metadata"]!["generation"]!).ShouldBe(1);

        afterStatus["status"] = new JsonObject { ["phase"] = "Overwritten" };
        afterStatus["metadata"]!["labels"]!["extra"] = "yes";
        var afterLabel = LoopbackCluster.Node(await client.CustomObjects.ReplaceNamespacedCustomObjectAsync(afterStatus, G, V, "default", P, "env-a"));
        ((string?)afterLabel["status"]!["phase"]).ShouldBe("Running");
        ((string?)afterLabel["metadata"]!["labels"]!["extra"]).ShouldBe("yes");
        ((long)afterLabel["metadata"]!["generation"]!).ShouldBe(1);

        var afterSpec = LoopbackCluster.Node(await client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"spec":{"agentConfig":{"taskId":"t-2"}}}""", V1Patch.PatchType.MergePatch), G, V, "default", P, "env-a"));
        ((long)afterSpec["metadata"]!["generation"]!).ShouldBe(2);
        ((string?)afterSpec["status"]!["phase"]).ShouldBe("Running");

        var patchedStatus = LoopbackCluster.Node(await client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
            new V1Patch("""{"status":{"jobName":"env-a-job"}}""", V1Patch.PatchType.MergePatch), G, V, "default", P, "env-a"));
        ((string?)patchedStatus["status"]!["jobName"]).ShouldBe("env-a-job");
        ((string?)patchedStatus["status"]!["phase"]).ShouldBe("Running");
        ((long)patchedStatus["metadata"]!["generation"]!).ShouldBe(2);
    }

    [Fact]
    public async Task json_patch_applies_operations_and_strategic_merge_is_refused_for_custom_resources()
    {
        await using var server = await LoopbackCluster.StartWithEnvironmentsAsync();
        using var client = server.CreateClient();
        await client.CreateEnvironmentAsync(LoopbackCluster.Environment("env-a"));
        var patched = LoopbackCluster.Node(await client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("""
            [{"op":"add","path":"/metadata/finalizers","value":["catalyst.dev/namespace"]},
             {"op":"replace","path":"/spec/type","value":"agent-review"},
             {"op":"remove","path":"/metadata/labels/catalyst.dev~1task"}]
            """, V1Patch.PatchType.JsonPatch), G, V, "default", P, "env-a"));
        ((string?)patched["metadata"]!["finalizers"]![0]).ShouldBe("catalyst.dev/namespace");
        ((string?)patched["spec"]!["type"]).ShouldBe("agent-review");
        patched["metadata"]!["labels"]!.AsObject().ContainsKey("catalyst.dev/task").ShouldBeFalse();

        var refused = await Should.ThrowAsync<HttpOperationException>(() => client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"spec":{"type":"x"}}""", V1Patch.PatchType.StrategicMergePatch), G, V, "default", P, "env-a"));
        refused.StatusCode().ShouldBe(415);
    }

    [Fact]
    public async Task lists_filter_by_label_selector_and_missing_objects_answer_the_not_found_status()
    {
        await using var server = await LoopbackCluster.StartWithEnvironmentsAsync();
        using var client = server.CreateClient();
        await client.CreateEnvironmentAsync(LoopbackCluster.Environment("env-a", taskId: "one"));
        await client.CreateEnvironmentAsync(LoopbackCluster.Environment("env-b", taskId: "two"));
        var list = LoopbackCluster.Node(await client.CustomObjects.ListNamespacedCustomObjectAsync(G, V, "default", P, labelSelector: "catalyst.dev/task=two"));
        list["items"]!.AsArray().Select(i => (string?)i!["metadata"]!["name"]).ShouldBe(["env-b"]);
        var notIn = LoopbackCluster.Node(await client.CustomObjects.ListNamespacedCustomObjectAsync(G, V, "default", P, labelSelector: "catalyst.dev/task notin (two)"));
        notIn["items"]!.AsArray().Select(i => (string?)i!["metadata"]!["name"]).ShouldBe(["env-a"]);

        var missing = await Should.ThrowAsync<HttpOperationException>(() => client.GetEnvironmentAsync("nope"));
        missing.StatusCode().ShouldBe(404);
        var status = missing.StatusBody();
        ((string?)status["message"]).ShouldBe("environments.catalyst.dev \"nope\" not found");
        ((string?)status["details"]!["group"]).ShouldBe("catalyst.dev");

        var twice = await Should.ThrowAsync<HttpOperationException>(() => client.CreateEnvironmentAsync(LoopbackCluster.Environment("env-a")));
        twice.StatusCode().ShouldBe(409);
        ((string?)twice.StatusBody()["reason"]).ShouldBe("AlreadyExists");
    }

    [Fact]
    public async Task the_leader_elector_of_the_client_takes_the_lease()
    {
        await using var server = await LoopbackApiServer.StartAsync();
        using var client = server.CreateClient();
        var elector = new k8s.LeaderElection.LeaderElector(new k8s.LeaderElection.LeaderElectionConfig(
            new k8s.LeaderElection.ResourceLock.LeaseLock(client, "default", "catalyst-operator", "replica-1"))
        {
            LeaseDuration = TimeSpan.FromSeconds(3), RenewDeadline = TimeSpan.FromSeconds(2), RetryPeriod = TimeSpan.FromMilliseconds(200),
        });
        var leading = new TaskCompletionSource();
        elector.OnStartedLeading += () => leading.TrySetResult();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var run = elector.RunUntilLeadershipLostAsync(stop.Token);
        await leading.Task.WaitAsync(stop.Token);
        (await client.CoordinationV1.ReadNamespacedLeaseAsync("catalyst-operator", "default")).Spec.HolderIdentity.ShouldBe("replica-1");
        await stop.CancelAsync();
        try { await run; }
        catch (OperationCanceledException) { }
    }
}
