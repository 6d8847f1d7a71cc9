using Catalyst.Operator.Kubernetes;
using Catalyst.Operator.Kubernetes.Controllers;
using Catalyst.Operator.Kubernetes.Entities;
using k8s;
using k8s.Models;
using static Catalyst.Tests.Kubernetes.OperatorHarness;

namespace Catalyst.Tests.Kubernetes;

[Trait("Category", "Kubernetes")]
public sealed class the_operator_gives_each_task_a_namespace_of_its_own
{
    [Fact]
    public async Task every_child_object_carries_the_workspace_settings()
    {
        await using var server = await StartClusterAsync(o => o.RunPods = false);
        using var client = server.CreateClient();
        await using var replica = new OperatorReplica(server, "operator-a", FastOptions with { RuntimeClassName = "gvisor" });
        await replica.StartAsync();

        var environment = await CreateExampleAsync(client);
        var ns = new TaskWorkspace(environment).Namespace;
        KubernetesJson.Serialize(environment).ShouldContain("\"taskId\"");
        environment.Spec.AgentConfig.TaskId.ShouldNotBeEmpty(KubernetesJson.Serialize(environment));
        ns.ShouldBe($"catalyst-task-{Guid.Parse(environment.Spec.AgentConfig.TaskId).ToString("N")[^8..]}");
        var job = await EventuallyAsync(() => ReadOrNullAsync(() => client.BatchV1.ReadNamespacedJobAsync(TaskWorkspace.JobName, ns)), "the Job");

        var taskNamespace = await client.CoreV1.ReadNamespaceAsync(ns);
        taskNamespace.Metadata.Labels[TaskWorkspace.TaskIdLabel].ShouldBe(environment.Spec.AgentConfig.TaskId);
        taskNamespace.Metadata.Labels[TaskWorkspace.ProjectLabel].ShouldBe("hello-world");

        var quota = await client.CoreV1.ReadNamespacedResourceQuotaAsync(TaskWorkspace.QuotaName, ns);
        quota.Spec.Hard["limits.memory"].ToString().ShouldBe("2Gi");
        quota.Spec.Hard["limits.cpu"].ToString().ShouldBe("2");
        quota.Spec.Hard["requests.memory"].ToString().ShouldBe("512Mi");
        var limits = (await client.CoreV1.ReadNamespacedLimitRangeAsync(TaskWorkspace.LimitRangeName, ns)).Spec.Limits.Single();
        limits.Max["memory"].ToString().ShouldBe("2Gi");
        limits.DefaultRequest["cpu"].ToString().ShouldBe("500m");

        var policy = (await client.NetworkingV1.ReadNamespacedNetworkPolicyAsync(TaskWorkspace.NetworkPolicyName, ns)).Spec;
        policy.PodSelector.MatchLabels.ShouldBeNull();
        policy.PolicyTypes.ShouldBe(["Ingress", "Egress"]);
        policy.Ingress.ShouldBeEmpty();
        policy.Egress.Count.ShouldBe(2);
        policy.Egress[0].To.Single().PodSelector.MatchLabels["k8s-app"].ShouldBe("kube-dns");
        policy.Egress[0].Ports.Select(p => (p.Protocol, p.Port.Value)).ShouldBe([("UDP", "53"), ("TCP", "53")]);
        policy.Egress[1].To.Single().PodSelector.MatchLabels["app.kubernetes.io/name"].ShouldBe("catalyst-host");
        policy.Egress[1].To.Single().NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"].ShouldBe(HostNamespace);
        policy.Egress[1].Ports.Single().Port.Value.ShouldBe("8400");

        var account = await client.CoreV1.ReadNamespacedServiceAccountAsync(TaskWorkspace.ServiceAccountName, ns);
        account.AutomountServiceAccountToken.ShouldBe(false);
        (await client.RbacAuthorizationV1.ListNamespacedRoleBindingAsync(ns)).Items.ShouldBeEmpty();

        var secret = await client.CoreV1.ReadNamespacedSecretAsync(TaskWorkspace.SecretName, ns);
        System.Text.Encoding.UTF8.GetString(secret.Data["token"]).ShouldBe(TaskToken(Guid.Parse(environment.Spec.AgentConfig.TaskId)));
        System.Text.Encoding.UTF8.GetString(secret.Data["broker-address"]).ShouldBe(environment.Spec.AgentConfig.Egress.BrokerAddress);

        job.Spec.BackoffLimit.ShouldBe(0);
        job.Spec.ActiveDeadlineSeconds.ShouldBe(3600);
        job.Spec.TtlSecondsAfterFinished.ShouldBe(FastOptions.JobTtlSecondsAfterFinished);
        var pod = job.Spec.Template.Spec;
        pod.RestartPolicy.ShouldBe("Never");
        pod.RuntimeClassName.ShouldBe("gvisor");
        pod.AutomountServiceAccountToken.ShouldBe(false);
        pod.ServiceAccountName.ShouldBe(TaskWorkspace.ServiceAccountName);
        pod.SecurityContext.RunAsNonRoot.ShouldBe(true);
        pod.SecurityContext.SeccompProfile.Type.ShouldBe("RuntimeDefault");
        var container = pod.Containers.Single();
        container.Image.ShouldBe("ghcr.io/catalyst/runner:latest");
        container.Command.ShouldBe(["/bin/bash", WorkspaceChildren.RunnerEntrypoint]);
        container.SecurityContext.ReadOnlyRootFilesystem.ShouldBe(true);
        container.SecurityContext.AllowPrivilegeEscalation.ShouldBe(false);
        container.SecurityContext.Capabilities.Drop.ShouldBe(["ALL"]);
        container.Resources.Limits["memory"].ToString().ShouldBe("2Gi");
        pod.Volumes.Single(v => v.Name == "workspace").EmptyDir.ShouldNotBeNull();
        container.VolumeMounts.Single(m => m.Name == "workspace").MountPath.ShouldBe("/workspace");
        var key = container.Env.Single(e => e.Name == "ANTHROPIC_API_KEY");
        key.Value.ShouldBeNull();
        key.ValueFrom.SecretKeyRef.Name.ShouldBe(TaskWorkspace.SecretName);
        container.Env.Single(e => e.Name == "ANTHROPIC_BASE_URL").Value.ShouldBe("http://catalyst-broker.catalyst.svc.cluster.local:8400");

        // The token is in the Secrets only: not in the Job, and not in the Environment.
        var token = TaskToken(Guid.Parse(environment.Spec.AgentConfig.TaskId));
        KubernetesJson.Serialize(job).ShouldNotContain(token);
        var current = await Environments.ReadAsync(client, HostNamespace, environment.Metadata.Name, CancellationToken.None);
        KubernetesJson.Serialize(current).ShouldNotContain(token);
        current!.Metadata.Finalizers.ShouldContain(TaskWorkspace.Finalizer);
        current.Status!.Phase.ShouldBe(nameof(EnvironmentPhase.Provisioning));
        current.Status.TaskNamespace.ShouldBe(ns);
        current.Status.JobName.ShouldBe(TaskWorkspace.JobName);
        server.Requests.All.Where(r => r.IsWrite && r.Path.Contains("/environments/")).ShouldAllBe(r => r.Method != "PATCH" || r.Path.EndsWith("/status"));
    }

    [Fact]
    public async Task a_project_that_allows_hosts_reaches_the_egress_proxy_on_the_host_pods_with_its_task_credentials_from_the_secret()
    {
        await using var server = await StartClusterAsync(o => o.RunPods = false);
        using var client = server.CreateClient();
        await using var replica = new OperatorReplica(server, "operator-a");
        await replica.StartAsync();

        const string proxy = "http://catalyst-egress.catalyst.svc.cluster.local:3128";
        var environment = await CreateExampleAsync(client, change: e =>
        {
            e.Spec.AgentConfig.Egress.AllowList = ["registry.npmjs.org", "git.example.com:22"];
            e.Spec.AgentConfig.Egress.ProxyAddress = proxy;
        });
        var taskId = environment.Spec.AgentConfig.TaskId;
        var ns = new TaskWorkspace(environment).Namespace;
        var job = await EventuallyAsync(() => ReadOrNullAsync(() => client.BatchV1.ReadNamespacedJobAsync(TaskWorkspace.JobName, ns)), "the Job");

        // Egress to the proxy's port on the Host's pods, besides DNS and the broker; nothing else.
        var policy = (await client.NetworkingV1.ReadNamespacedNetworkPolicyAsync(TaskWorkspace.NetworkPolicyName, ns)).Spec;
        policy.Egress.Count.ShouldBe(3);
        policy.Egress[2].To.Single().PodSelector.MatchLabels.ShouldBe(new Dictionary<string, string> { ["app.kubernetes.io/name"] = "catalyst-host" });
        policy.Egress[2].To.Single().NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"].ShouldBe(HostNamespace);
        policy.Egress[2].Ports.Select(p => (p.Protocol, p.Port.Value)).ShouldBe([("TCP", "3128")]);

        // The proxy with the task's credentials, from the Secret only; the broker is reached directly.
        var secret = await client.CoreV1.ReadNamespacedSecretAsync(TaskWorkspace.SecretName, ns);
        var withCredentials = new Uri(System.Text.Encoding.UTF8.GetString(secret.Data["egress-proxy"]));
        withCredentials.GetLeftPart(UriPartial.Authority).Replace(withCredentials.UserInfo + "@", "").ShouldBe(proxy);
        withCredentials.UserInfo.ShouldBe($"{taskId}:{Uri.EscapeDataString(TaskToken(Guid.Parse(taskId)))}");
        var env = job.Spec.Template.Spec.Containers.Single().Env.ToDictionary(e => e.Name);
        foreach (var name in new[] { "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy" })
        {
            env[name].Value.ShouldBeNull();
            env[name].ValueFrom.SecretKeyRef.Name.ShouldBe(TaskWorkspace.SecretName);
            env[name].ValueFrom.SecretKeyRef.Key.ShouldBe("egress-proxy");
        }
        env["NO_PROXY"].Value.ShouldBe("catalyst-broker.catalyst.svc.cluster.local");
        KubernetesJson.Serialize(job).ShouldNotContain(TaskToken(Guid.Parse(taskId)));
    }

    [Fact]
    public async Task without_an_allow_list_there_is_no_proxy_in_the_policy_the_secret_or_the_job()
    {
        await using var server = await StartClusterAsync(o => o.RunPods = false);
        using var client = server.CreateClient();
        await using var replica = new OperatorReplica(server, "operator-a");
        await replica.StartAsync();

        var environment = await CreateExampleAsync(client, change: e =>
        {
            e.Spec.AgentConfig.Egress.AllowList = [];
            e.Spec.AgentConfig.Egress.ProxyAddress = "http://catalyst-egress.catalyst.svc.cluster.local:3128";
        });
        var ns = new TaskWorkspace(environment).Namespace;
        var job = await EventuallyAsync(() => ReadOrNullAsync(() => client.BatchV1.ReadNamespacedJobAsync(TaskWorkspace.JobName, ns)), "the Job");

        (await client.NetworkingV1.ReadNamespacedNetworkPolicyAsync(TaskWorkspace.NetworkPolicyName, ns)).Spec.Egress.Count.ShouldBe(2);
        (await client.CoreV1.ReadNamespacedSecretAsync(TaskWorkspace.SecretName, ns)).Data.ShouldNotContainKey("egress-proxy");
        job.Spec.Template.Spec.Containers.Single().Env.ShouldNotContain(e => e.Name.EndsWith("_PROXY", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task reconciling_a_converged_environment_again_writes_nothing()
    {
        await using var server = await StartClusterAsync(o => o.RunPods = false);
        using var client = server.CreateClient();
        await using var replica = new OperatorReplica(server, "operator-a");
        await replica.StartAsync();
        var environment = await CreateExampleAsync(client);
        await EventuallyAsync(async () => (await Environments.ReadAsync(client, HostNamespace, environment.Metadata.Name, CancellationToken.None))?.Status?.JobName is not null, "the Job in the status");
        await Task.Delay(300);

        var mark = server.Requests.Mark();
        for (var i = 0; i < 2; i++)
        {
            var current = await Environments.ReadAsync(client, HostNamespace, environment.Metadata.Name, CancellationToken.None);
            await replica.Controller.ReconcileAsync(current!, CancellationToken.None);
        }
        server.Requests.WritesSince(mark).ShouldBeEmpty();
    }

    [Fact]
    public async Task a_deleted_child_comes_back()
    {
        await using var server = await StartClusterAsync(o => o.RunPods = false);
        using var client = server.CreateClient();
        await using var replica = new OperatorReplica(server, "operator-a");
        await replica.StartAsync();
        var environment = await CreateExampleAsync(client);
        var ns = new TaskWorkspace(environment).Namespace;
        await EventuallyAsync(() => ReadOrNullAsync(() => client.BatchV1.ReadNamespacedJobAsync(TaskWorkspace.JobName, ns)), "the Job");

        await client.NetworkingV1.DeleteNamespacedNetworkPolicyAsync(TaskWorkspace.NetworkPolicyName, ns);
        await client.CoreV1.DeleteNamespacedSecretAsync(TaskWorkspace.SecretName, ns);
        var quota = await client.CoreV1.ReadNamespacedResourceQuotaAsync(TaskWorkspace.QuotaName, ns);
        quota.Spec.Hard["limits.memory"] = new ResourceQuantity("64Gi");
        await client.CoreV1.ReplaceNamespacedResourceQuotaAsync(quota, TaskWorkspace.QuotaName, ns);

        // Nothing watches those kinds: the Environment's periodic requeue brings them back.
        await EventuallyAsync(() => ReadOrNullAsync(() => client.NetworkingV1.ReadNamespacedNetworkPolicyAsync(TaskWorkspace.NetworkPolicyName, ns)), "the NetworkPolicy again", TimeSpan.FromSeconds(20));
        await EventuallyAsync(() => ReadOrNullAsync(() => client.CoreV1.ReadNamespacedSecretAsync(TaskWorkspace.SecretName, ns)), "the Secret again", TimeSpan.FromSeconds(20));
        await EventuallyAsync(async () => (await client.CoreV1.ReadNamespacedResourceQuotaAsync(TaskWorkspace.QuotaName, ns)).Spec.Hard["limits.memory"].ToString() == "2Gi",
            "the quota's memory limit back at 2Gi", TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task a_deleted_environment_goes_only_after_its_namespace_is_gone()
    {
        await using var server = await StartClusterAsync(o => o.RunPods = false);
        using var client = server.CreateClient();
        await using var replica = new OperatorReplica(server, "operator-a");
        await replica.StartAsync();
        var environment = await CreateExampleAsync(client);
        var ns = new TaskWorkspace(environment).Namespace;
        await EventuallyAsync(() => ReadOrNullAsync(() => client.BatchV1.ReadNamespacedJobAsync(TaskWorkspace.JobName, ns)), "the Job");

        await Environments.DeleteAsync(client, HostNamespace, environment.Metadata.Name, CancellationToken.None);
        await EventuallyAsync(async () => await Environments.ReadAsync(client, HostNamespace, environment.Metadata.Name, CancellationToken.None) is null, "the Environment gone");
        (await ReadOrNullAsync(() => client.CoreV1.ReadNamespaceAsync(ns))).ShouldBeNull();
        (await ReadOrNullAsync(() => client.BatchV1.ReadNamespacedJobAsync(TaskWorkspace.JobName, ns))).ShouldBeNull();
    }

    [Fact]
    public async Task fifty_environments_created_at_once_all_converge()
    {
        await using var server = await StartClusterAsync(o => o.RunPods = false);
        using var client = server.CreateClient();
        await using var replica = new OperatorReplica(server, "operator-a");
        await replica.StartAsync();

        var created = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => CreateExampleAsync(client)));
        await EventuallyAsync(async () =>
        {
            var jobs = await client.BatchV1.ListJobForAllNamespacesAsync(labelSelector: "app.kubernetes.io/managed-by=catalyst-operator");
            return jobs.Items.Count == 50;
        }, "50 Jobs", TimeSpan.FromSeconds(60));
        await EventuallyAsync(async () =>
        {
            var (items, _) = await Environments.ListAsync(client, HostNamespace, CancellationToken.None);
            return items.Count == 50 && items.All(e => e.Status?.Phase == nameof(EnvironmentPhase.Provisioning) && e.Status.JobName is not null);
        }, "50 Environments provisioning", TimeSpan.FromSeconds(60));
        created.Select(e => new TaskWorkspace(e).Namespace).Distinct().Count().ShouldBe(50);
        server.Failures.ShouldBeEmpty();
    }
}
