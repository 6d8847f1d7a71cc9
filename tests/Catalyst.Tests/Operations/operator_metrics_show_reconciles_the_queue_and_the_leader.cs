using Catalyst.Operator.Kubernetes.Controllers;
using k8s;
using static Catalyst.Tests.Kubernetes.OperatorHarness;
using Catalyst.Tests.Kubernetes;

namespace Catalyst.Tests.Operations;

/// <summary>Two operator replicas against the loopback API server, read through the operator's own <c>/metrics</c>.</summary>
[Trait("Category", "Kubernetes")]
public sealed class operator_metrics_show_reconciles_the_queue_and_the_leader
{
    private static double Leader(PrometheusScrape scrape, string identity) => scrape.Value("catalyst_operator_leader", ("identity", identity));

    [Fact]
    public async Task one_replica_leads_its_reconciles_are_counted_and_the_other_takes_over()
    {
        await using var metrics = await OperatorMetricsEndpoint.StartAsync();
        await using var server = await StartClusterAsync(o => o.RunPods = false);
        using var client = server.CreateClient();
        await using var a = new OperatorReplica(server, "metrics-operator-a");
        await using var b = new OperatorReplica(server, "metrics-operator-b");
        var before = (await metrics.ReadAsync()).Value("catalyst_operator_reconcile_duration_seconds_count", ("result", "success"));
        await a.StartAsync();
        await b.StartAsync();
        await EventuallyAsync(() => Task.FromResult(a.Operator.IsLeader || b.Operator.IsLeader), "a leader");
        var (leader, follower) = a.Operator.IsLeader ? (a, b) : (b, a);

        var leading = await metrics.ReadAsync();
        leading.Types["catalyst_operator_leader"].ShouldBe("gauge");
        Leader(leading, leader.Options.Identity).ShouldBe(1);
        Leader(leading, follower.Options.Identity).ShouldBe(0);
        leading.Samples.Count(s => s.Name == "catalyst_operator_queue_depth" && s.Labels["identity"].StartsWith("metrics-operator-")).ShouldBe(2);
        leading.Value("catalyst_operator_queue_depth", ("identity", follower.Options.Identity)).ShouldBe(0);

        // An Environment reconciled to its Job: the leader's reconciles are counted, and its queue drains.
        var environment = await CreateExampleAsync(client);
        await EventuallyAsync(() => ReadOrNullAsync(() => client.BatchV1.ReadNamespacedJobAsync(TaskWorkspace.JobName, new TaskWorkspace(environment).Namespace)), "the Job");
        var reconciled = await metrics.ReadAsync();
        reconciled.Value("catalyst_operator_reconcile_duration_seconds_count", ("result", "success")).ShouldBeGreaterThan(before);
        reconciled.Types["catalyst_operator_reconcile_duration_seconds"].ShouldBe("histogram");
        await EventuallyAsync(async () => (await metrics.ReadAsync()).Value("catalyst_operator_queue_depth", ("identity", leader.Options.Identity)) == 0,
            "the leader's queue drained");

        // The leader stops: its series goes with it, and the other replica reports that it leads.
        await leader.StopAsync();
        await EventuallyAsync(() => Task.FromResult(follower.Operator.IsLeader), "the other replica leading", TimeSpan.FromSeconds(15));
        var after = await metrics.ReadAsync();
        Leader(after, follower.Options.Identity).ShouldBe(1);
        after.Samples.ShouldNotContain(s => s.Name == "catalyst_operator_leader" && s.Labels["identity"] == leader.Options.Identity);
    }
}
