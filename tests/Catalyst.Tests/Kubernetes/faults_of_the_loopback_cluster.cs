using System.Text.Json.Nodes;
using Catalyst.KubernetesLoopback;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Catalyst.Tests.Kubernetes;

#pragma warning disable CS0618 // WatchAsync over ListXWithHttpMessagesAsync is what operators built on KubernetesClient use.

[Trait("Category", "Kubernetes")]
public sealed class faults_of_the_loopback_cluster
{
    private const string G = LoopbackCluster.Group, V = LoopbackCluster.Version, P = LoopbackCluster.Plural;

    [Fact]
    public async Task the_next_pod_is_oom_killed_with_exit_137_and_reason_oomkilled()
    {
        await using var server = await LoopbackApiServer.StartAsync();
        using var client = server.CreateClient();
        server.Faults.NextPodOomKilled(after: TimeSpan.FromMilliseconds(100));
        await client.BatchV1.CreateNamespacedJobAsync(LoopbackJobs.ShellJob("hungry", "echo allocating; exec sleep 30"), "default");
        var pod = await LoopbackJobs.PodOfAsync(server, "hungry");
        var killed = await LoopbackJobs.PodReachesAsync(server, pod, p => LoopbackJobs.Phase(p) == "Failed");
        ((int?)LoopbackJobs.Terminated(killed!)!["exitCode"]).ShouldBe(137);
        ((string?)LoopbackJobs.Terminated(killed!)!["reason"]).ShouldBe("OOMKilled");
        await server.WaitForAsync(ResourceCatalog.Jobs, "default", "hungry", j => j is not null && LoopbackJobs.HasCondition(j, "Failed"));

        await client.BatchV1.CreateNamespacedJobAsync(LoopbackJobs.ShellJob("fed", "true"), "default");
        var next = await LoopbackJobs.PodOfAsync(server, "fed");
        var fine = await LoopbackJobs.PodReachesAsync(server, next, p => LoopbackJobs.Phase(p) is "Succeeded" or "Failed");
        LoopbackJobs.Phase(fine!).ShouldBe("Succeeded");
    }

    [Fact]
    public async Task the_next_pod_waits_in_image_pull_back_off_and_never_runs()
    {
        await using var server = await LoopbackApiServer.StartAsync();
        using var client = server.CreateClient();
        server.Faults.NextPodImagePullBackOff();
        await client.BatchV1.CreateNamespacedJobAsync(LoopbackJobs.ShellJob("unpulled", "echo ran > \"$WORKSPACE/ran\""), "default");
        var pod = await LoopbackJobs.PodOfAsync(server, "unpulled");
        var waiting = await LoopbackJobs.PodReachesAsync(server, pod,
            p => (string?)p["status"]?["containerStatuses"]?[0]?["state"]?["waiting"]?["reason"] == "ImagePullBackOff");
        LoopbackJobs.Phase(waiting!).ShouldBe("Pending");
        ((string?)waiting!["status"]!["containerStatuses"]![0]!["state"]!["waiting"]!["message"]).ShouldBe("Back-off pulling image \"catalyst/runner:test\"");
        var refused = await Should.ThrowAsync<HttpOperationException>(() => client.CoreV1.ReadNamespacedPodLogAsync(pod.Name(), "default"));
        refused.StatusCode().ShouldBe(400);
        ((string)refused.StatusBody()["message"]!).ShouldContain("is waiting to start: trying and failing to pull image");
        Directory.GetFiles(Path.GetDirectoryName(server.KubeconfigPath)!, "ran", SearchOption.AllDirectories).ShouldBeEmpty();
    }

    [Fact]
    public async Task the_next_pod_is_unschedulable()
    {
        await using var server = await LoopbackApiServer.StartAsync();
        using var client = server.CreateClient();
        server.Faults.NextPodUnschedulable();
        await client.BatchV1.CreateNamespacedJobAsync(LoopbackJobs.ShellJob("big", "true"), "default");
        var pod = await LoopbackJobs.PodOfAsync(server, "big");
        var pending = await LoopbackJobs.PodReachesAsync(server, pod, p => p["status"]?["conditions"] is JsonArray { Count: > 0 });
        var typed = await client.CoreV1.ReadNamespacedPodAsync(pod.Name(), "default");
        typed.Status.Phase.ShouldBe("Pending");
        var scheduled = typed.Status.Conditions.ShouldHaveSingleItem();
        scheduled.Type.ShouldBe("PodScheduled");
        scheduled.Status.ShouldBe("False");
        scheduled.Reason.ShouldBe("Unschedulable");
        pending.ShouldNotBeNull();
    }

    [Fact]
    public async Task dropping_all_watches_ends_each_open_watch_and_a_reconnect_from_its_last_version_misses_nothing()
    {
        await using var server = await LoopbackCluster.StartWithEnvironmentsAsync();
        using var client = server.CreateClient();
        var list = LoopbackCluster.Node(await client.CustomObjects.ListNamespacedCustomObjectAsync(G, V, "default", P));
        var version = (string)list["metadata"]!["resourceVersion"]!;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var errors = new List<Exception>();

        var watched = new List<string>();
        await using (var events = client.CustomObjects.ListNamespacedCustomObjectWithHttpMessagesAsync(G, V, "default", P,
                               allowWatchBookmarks: true, resourceVersion: version, watch: true, cancellationToken: stop.Token)
                           .WatchAsync<JsonObject, object>(errors.Add, stop.Token).GetAsyncEnumerator(stop.Token))
        {
            (await events.MoveNextAsync()).ShouldBeTrue();
            events.Current.Item1.ShouldBe(WatchEventType.Bookmark);
            server.Faults.DropAllWatches().ShouldBe(1);
            while (await events.MoveNextAsync()) watched.Add(events.Current.Item1.ToString());
        }
        watched.ShouldBeEmpty();

        await client.CreateEnvironmentAsync(LoopbackCluster.Environment("made-while-away"));
        var resumed = new List<string>();
        await foreach (var (type, obj) in client.CustomObjects.ListNamespacedCustomObjectWithHttpMessagesAsync(G, V, "default", P,
                               allowWatchBookmarks: true, resourceVersion: version, watch: true, cancellationToken: stop.Token)
                           .WatchAsync<JsonObject, object>(errors.Add, stop.Token))
        {
            if (type == WatchEventType.Bookmark) break;
            resumed.Add($"{type} {obj["metadata"]!["name"]}");
        }
        resumed.ShouldBe(["Added made-while-away"]);
        errors.ShouldBeEmpty();
    }

    [Fact]
    public async Task the_next_watch_is_answered_410_expired_even_from_a_fresh_version()
    {
        await using var server = await LoopbackCluster.StartWithEnvironmentsAsync();
        using var client = server.CreateClient();
        var version = (string)LoopbackCluster.Node(await client.CustomObjects.ListNamespacedCustomObjectAsync(G, V, "default", P))["metadata"]!["resourceVersion"]!;
        server.Faults.ExpireNextWatch();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));

        async Task<List<Exception>> WatchOnce()
        {
            var errors = new List<Exception>();
            await foreach (var (type, _) in client.CustomObjects.ListNamespacedCustomObjectWithHttpMessagesAsync(G, V, "default", P,
                                   allowWatchBookmarks: true, resourceVersion: version, watch: true, cancellationToken: stop.Token)
                               .WatchAsync<JsonObject, object>(errors.Add, stop.Token))
                if (type == WatchEventType.Bookmark) break;
            return errors;
        }

        var expired = (await WatchOnce()).ShouldHaveSingleItem().ShouldBeOfType<KubernetesException>();
        expired.Status.Code.ShouldBe(410);
        expired.Status.Reason.ShouldBe("Expired");
        (await WatchOnce()).ShouldBeEmpty();
    }

    [Fact]
    public async Task the_next_update_of_a_kind_gets_409_conflict_once()
    {
        await using var server = await LoopbackCluster.StartWithEnvironmentsAsync();
        using var client = server.CreateClient();
        var created = await client.CreateEnvironmentAsync(LoopbackCluster.Environment("env-a"));
        server.Faults.ConflictOnNextUpdate("environments");
        created["status"] = new JsonObject { ["phase"] = "Provisioning" };

        var refused = await Should.ThrowAsync<HttpOperationException>(() => client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync(created, G, V, "default", P, "env-a"));
        refused.StatusCode().ShouldBe(409);
        ((string?)refused.StatusBody()["reason"]).ShouldBe("Conflict");

        var written = LoopbackCluster.Node(await client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync(created, G, V, "default", P, "env-a"));
        ((string?)written["status"]!["phase"]).ShouldBe("Provisioning");
    }

    [Fact]
    public async Task the_request_log_tells_reads_from_writes_between_two_marks()
    {
        await using var server = await LoopbackCluster.StartWithEnvironmentsAsync();
        using var client = server.CreateClient();
        await client.CreateEnvironmentAsync(LoopbackCluster.Environment("env-a"));

        var mark = server.Requests.Mark();
        await client.GetEnvironmentAsync("env-a");
        await client.CoreV1.ListNamespacedPodAsync("default");
        server.Requests.WritesSince(mark).ShouldBeEmpty();
        server.Requests.Since(mark).Select(r => $"{r.Method} {r.Path}").ShouldBe([
            "GET /apis/catalyst.dev/v1alpha1/namespaces/default/environments/env-a",
            "GET /api/v1/namespaces/default/pods",
        ]);

        await client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("""{"spec":{"type":"x"}}""", V1Patch.PatchType.MergePatch), G, V, "default", P, "env-a");
        var write = server.Requests.WritesSince(mark).ShouldHaveSingleItem();
        write.Method.ShouldBe("PATCH");
        write.StatusCode.ShouldBe(200);
        server.Failures.ShouldBeEmpty();
    }
}
