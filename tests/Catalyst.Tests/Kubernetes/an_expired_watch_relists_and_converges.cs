using Catalyst.Operator.Kubernetes.Controllers;
using k8s;
using static Catalyst.Tests.Kubernetes.OperatorHarness;

namespace Catalyst.Tests.Kubernetes;

[Trait("Category", "Kubernetes")]
public sealed class an_expired_watch_relists_and_converges
{
    [Fact]
    public async Task a_410_on_the_watch_lists_again_and_environments_made_meanwhile_converge()
    {
        await using var server = await StartClusterAsync(o => o.RunPods = false);
        using var client = server.CreateClient();
        await using var replica = new OperatorReplica(server, "operator-a");
        await replica.StartAsync();
        await EventuallyAsync(() => Task.FromResult(replica.Operator.Informer is { Lists: > 0 }), "the first list");
        var lists = replica.Operator.Informer!.Lists;

        // Every watch is cut and the next ones are told their resourceVersion is too old.
        for (var i = 0; i < 3; i++) server.Faults.ExpireNextWatch();
        server.Faults.DropAllWatches();
        var environment = await CreateExampleAsync(client);

        await EventuallyAsync(() => ReadOrNullAsync(() => client.BatchV1.ReadNamespacedJobAsync(TaskWorkspace.JobName, new TaskWorkspace(environment).Namespace)), "the Job");
        replica.Operator.Informer!.Lists.ShouldBeGreaterThan(lists);
    }

    [Fact]
    public async Task a_dropped_watch_reconnects_without_listing_again()
    {
        await using var server = await StartClusterAsync(o => o.RunPods = false);
        using var client = server.CreateClient();
        await using var replica = new OperatorReplica(server, "operator-a");
        await replica.StartAsync();
        await EventuallyAsync(() => Task.FromResult(replica.Operator.Informer is { Lists: > 0 }), "the first list");
        await Task.Delay(200);
        var lists = replica.Operator.Informer!.Lists;

        server.Faults.DropAllWatches();
        var environment = await CreateExampleAsync(client);

        await EventuallyAsync(() => ReadOrNullAsync(() => client.BatchV1.ReadNamespacedJobAsync(TaskWorkspace.JobName, new TaskWorkspace(environment).Namespace)), "the Job");
        replica.Operator.Informer!.Lists.ShouldBe(lists);
    }
}
