using Catalyst.Operator.Kubernetes;
using Catalyst.Operator.Kubernetes.Controllers;
using k8s;
using static Catalyst.Tests.Kubernetes.OperatorHarness;

namespace Catalyst.Tests.Kubernetes;

[Trait("Category", "Kubernetes")]
public sealed class only_the_leader_reconciles
{
    [Fact]
    public async Task two_operators_one_writes_and_the_other_takes_over_within_the_lease()
    {
        await using var server = await StartClusterAsync(o => o.RunPods = false);
        using var client = server.CreateClient();
        await using var a = new OperatorReplica(server, "operator-a");
        await using var b = new OperatorReplica(server, "operator-b");
        await a.StartAsync();
        await b.StartAsync();
        await EventuallyAsync(() => Task.FromResult(a.Operator.IsLeader || b.Operator.IsLeader), "a leader");
        var (leader, follower) = a.Operator.IsLeader ? (a, b) : (b, a);

        var first = await CreateExampleAsync(client);
        await EventuallyAsync(() => ReadOrNullAsync(() => client.BatchV1.ReadNamespacedJobAsync(TaskWorkspace.JobName, new TaskWorkspace(first).Namespace)), "the first Job");
        leader.Controller.Writes.ShouldBeGreaterThan(0);
        follower.Controller.Writes.ShouldBe(0);
        follower.Operator.IsLeader.ShouldBeFalse();

        // The leader dies without giving the Lease back: the other takes over once it expires.
        var died = DateTime.UtcNow;
        await leader.StopAsync();
        await EventuallyAsync(() => Task.FromResult(follower.Operator.IsLeader), "the other replica leading", TimeSpan.FromSeconds(15));
        (DateTime.UtcNow - died).ShouldBeLessThan(FastOptions.LeaseDuration + FastOptions.RetryPeriod * 4);

        var second = await CreateExampleAsync(client);
        await EventuallyAsync(() => ReadOrNullAsync(() => client.BatchV1.ReadNamespacedJobAsync(TaskWorkspace.JobName, new TaskWorkspace(second).Namespace)), "the second Job");
        follower.Controller.Writes.ShouldBeGreaterThan(0);
    }
}
