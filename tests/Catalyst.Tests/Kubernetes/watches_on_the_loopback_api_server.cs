using System.Text.Json.Nodes;
using Catalyst.KubernetesLoopback;
using k8s;
using k8s.Models;

namespace Catalyst.Tests.Kubernetes;

#pragma warning disable CS0618 // WatchAsync over ListXWithHttpMessagesAsync is what operators built on KubernetesClient use.

[Trait("Category", "Kubernetes")]
public sealed class watches_on_the_loopback_api_server
{
    private static IAsyncEnumerable<(WatchEventType Type, JsonObject Object)> WatchEnvironments(
        IKubernetes client, string? resourceVersion, List<Exception> errors, CancellationToken stop, string? ns = "default")
    {
        var response = ns is null
            ? client.CustomObjects.ListClusterCustomObjectWithHttpMessagesAsync(LoopbackCluster.Group, LoopbackCluster.Version, LoopbackCluster.Plural,
                allowWatchBookmarks: true, resourceVersion: resourceVersion, watch: true, cancellationToken: stop)
            : client.CustomObjects.ListNamespacedCustomObjectWithHttpMessagesAsync(LoopbackCluster.Group, LoopbackCluster.Version, ns, LoopbackCluster.Plural,
                allowWatchBookmarks: true, resourceVersion: resourceVersion, watch: true, cancellationToken: stop);
        return Project(response.WatchAsync<JsonObject, object>(errors.Add, stop));

        static async IAsyncEnumerable<(WatchEventType, JsonObject)> Project(IAsyncEnumerable<(WatchEventType, JsonObject)> events)
        {
            await foreach (var e in events) yield return e;
        }
    }

    [Fact]
    public async Task a_watch_answers_at_once_with_a_bookmark_then_streams_each_change_in_order()
    {
        await using var server = await LoopbackCluster.StartWithEnvironmentsAsync();
        using var client = server.CreateClient();
        var created = await client.CreateEnvironmentAsync(LoopbackCluster.Environment("env-a"));
        var listVersion = (string)created["metadata"]!["resourceVersion"]!;

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var errors = new List<Exception>();
        await using var events = WatchEnvironments(client, listVersion, errors, stop.Token).GetAsyncEnumerator(stop.Token);

        (await events.MoveNextAsync()).ShouldBeTrue();
        events.Current.Type.ShouldBe(WatchEventType.Bookmark);
        ((string)events.Current.Object["metadata"]!["resourceVersion"]!).ShouldBe(listVersion);

        await client.CreateEnvironmentAsync(LoopbackCluster.Environment("env-b"));
        await client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"spec":{"agentConfig":{"taskId":"changed"}}}""", V1Patch.PatchType.MergePatch),
            LoopbackCluster.Group, LoopbackCluster.Version, "default", LoopbackCluster.Plural, "env-a");
        await client.CustomObjects.DeleteNamespacedCustomObjectAsync(LoopbackCluster.Group, LoopbackCluster.Version, "default", LoopbackCluster.Plural, "env-b");

        var seen = new List<string>();
        while (seen.Count < 3 && await events.MoveNextAsync())
            if (events.Current.Type != WatchEventType.Bookmark)
                seen.Add($"{events.Current.Type} {events.Current.Object["metadata"]!["name"]}");
        seen.ShouldBe(["Added env-b", "Modified env-a", "Deleted env-b"]);
        errors.ShouldBeEmpty();
    }

    [Fact]
    public async Task a_watch_without_a_resource_version_starts_with_every_object_as_added_across_all_namespaces()
    {
        await using var server = await LoopbackCluster.StartWithEnvironmentsAsync();
        using var client = server.CreateClient();
        await client.CreateNamespaceAsync("team-1");
        await client.CreateEnvironmentAsync(LoopbackCluster.Environment("env-a"));
        await client.CreateEnvironmentAsync(LoopbackCluster.Environment("env-b", ns: "team-1"));

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var errors = new List<Exception>();
        var seen = new List<string>();
        await foreach (var (type, obj) in WatchEnvironments(client, null, errors, stop.Token, ns: null))
        {
            if (type == WatchEventType.Bookmark) break;
            seen.Add($"{type} {obj["metadata"]!["namespace"]}/{obj["metadata"]!["name"]}");
        }
        seen.ShouldBe(["Added default/env-a", "Added team-1/env-b"]);
    }

    [Fact]
    public async Task a_watch_from_a_forgotten_resource_version_gets_410_expired_and_a_relist_then_watch_catches_up()
    {
        await using var server = await LoopbackCluster.StartWithEnvironmentsAsync(o => o.WatchHistory = 5);
        using var client = server.CreateClient();
        var first = await client.CreateEnvironmentAsync(LoopbackCluster.Environment("env-0"));
        var oldVersion = (string)first["metadata"]!["resourceVersion"]!;
        for (var i = 1; i <= 10; i++) await client.CreateEnvironmentAsync(LoopbackCluster.Environment($"env-{i}"));

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var errors = new List<Exception>();
        var expired = new List<(WatchEventType, JsonObject)>();
        await foreach (var e in WatchEnvironments(client, oldVersion, errors, stop.Token)) expired.Add(e);
        expired.ShouldBeEmpty();
        var error = errors.ShouldHaveSingleItem().ShouldBeOfType<KubernetesException>();
        error.Status.Code.ShouldBe(410);
        error.Status.Reason.ShouldBe("Expired");

        var list = LoopbackCluster.Node(await client.CustomObjects.ListNamespacedCustomObjectAsync(LoopbackCluster.Group, LoopbackCluster.Version, "default", LoopbackCluster.Plural));
        list["items"]!.AsArray().Count.ShouldBe(11);
        ((string?)list["kind"]).ShouldBe("EnvironmentList");
        var listVersion = (string)list["metadata"]!["resourceVersion"]!;

        errors.Clear();
        await using var events = WatchEnvironments(client, listVersion, errors, stop.Token).GetAsyncEnumerator(stop.Token);
        (await events.MoveNextAsync()).ShouldBeTrue();
        events.Current.Type.ShouldBe(WatchEventType.Bookmark);
        await client.CreateEnvironmentAsync(LoopbackCluster.Environment("env-11"));
        (await events.MoveNextAsync()).ShouldBeTrue();
        events.Current.Type.ShouldBe(WatchEventType.Added);
        ((string?)events.Current.Object["metadata"]!["name"]).ShouldBe("env-11");
        errors.ShouldBeEmpty();
    }

    [Fact]
    public async Task a_watch_resumed_from_its_last_resource_version_replays_what_it_missed()
    {
        await using var server = await LoopbackCluster.StartWithEnvironmentsAsync();
        using var client = server.CreateClient();
        var created = await client.CreateEnvironmentAsync(LoopbackCluster.Environment("env-a"));
        await client.CreateEnvironmentAsync(LoopbackCluster.Environment("env-b"));
        await client.CreateEnvironmentAsync(LoopbackCluster.Environment("env-c"));

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var seen = new List<string>();
        await foreach (var (type, obj) in WatchEnvironments(client, (string)created["metadata"]!["resourceVersion"]!, [], stop.Token))
        {
            if (type == WatchEventType.Bookmark) break;
            seen.Add($"{type} {obj["metadata"]!["name"]}");
        }
        seen.ShouldBe(["Added env-b", "Added env-c"]);
    }

    [Fact]
    public async Task pods_are_watched_with_the_typed_watch_of_core_v1()
    {
        await using var server = await LoopbackApiServer.StartAsync(o => o.RunPods = false);
        using var client = server.CreateClient();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var list = await client.CoreV1.ListNamespacedPodAsync("default");
        await using var events = client.CoreV1.WatchListNamespacedPodAsync("default", allowWatchBookmarks: true,
            resourceVersion: list.Metadata.ResourceVersion, cancellationToken: stop.Token).GetAsyncEnumerator(stop.Token);
        (await events.MoveNextAsync()).ShouldBeTrue();
        events.Current.Item1.ShouldBe(WatchEventType.Bookmark);

        await client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "p" },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox" }] },
        }, "default");
        (await events.MoveNextAsync()).ShouldBeTrue();
        events.Current.Item1.ShouldBe(WatchEventType.Added);
        events.Current.Item2.Metadata.Name.ShouldBe("p");
        events.Current.Item2.Status.Phase.ShouldBe("Pending");
    }

    [Fact]
    public async Task a_watch_with_a_label_selector_sees_an_object_that_leaves_it_as_deleted_and_one_that_enters_as_added()
    {
        await using var server = await LoopbackApiServer.StartAsync(o => o.RunPods = false);
        using var client = server.CreateClient();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var list = await client.CoreV1.ListNamespacedConfigMapAsync("default");
        await using var events = client.CoreV1.WatchListNamespacedConfigMapAsync("default", allowWatchBookmarks: true, labelSelector: "catalyst.dev/role=agent",
            resourceVersion: list.Metadata.ResourceVersion, cancellationToken: stop.Token).GetAsyncEnumerator(stop.Token);
        (await events.MoveNextAsync()).ShouldBeTrue();
        events.Current.Item1.ShouldBe(WatchEventType.Bookmark);

        await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = "c", Labels = new Dictionary<string, string> { ["catalyst.dev/role"] = "agent" } },
        }, "default");
        await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"metadata":{"labels":{"catalyst.dev/role":"other"}}}""", V1Patch.PatchType.MergePatch), "c", "default");
        await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"data":{"k":"v"}}""", V1Patch.PatchType.MergePatch), "c", "default");
        await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"metadata":{"labels":{"catalyst.dev/role":"agent"}}}""", V1Patch.PatchType.MergePatch), "c", "default");

        var seen = new List<WatchEventType>();
        while (seen.Count < 3 && await events.MoveNextAsync())
            if (events.Current.Item1 != WatchEventType.Bookmark) seen.Add(events.Current.Item1);
        seen.ShouldBe([WatchEventType.Added, WatchEventType.Deleted, WatchEventType.Added]);
    }
}
