using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Catalyst.Operator.Kubernetes;
using Catalyst.Operator.Kubernetes.Controllers;
using k8s;
using k8s.Models;
using static Catalyst.Tests.Kubernetes.OperatorHarness;

namespace Catalyst.Tests.Kubernetes;

/// <summary><c>kubectl kustomize deploy/kubernetes</c> with the real kubectl, and what it renders.</summary>
[Trait("Category", "Kubernetes")]
public sealed class the_kustomize_deployment_renders_and_grants_only_what_is_used
{
    private static readonly Lazy<Task<List<IKubernetesObject>>> Rendered = new(RenderAsync);

    [Fact]
    public async Task it_renders_exactly_the_objects_of_a_catalyst_installation()
    {
        var objects = await Rendered.Value;
        objects.Select(o => $"{o.Kind}/{((IMetadata<V1ObjectMeta>)o).Metadata.Name}").Order().ShouldBe(new[]
        {
            "ClusterRole/catalyst-operator", "ClusterRoleBinding/catalyst-operator", "CustomResourceDefinition/environments.catalyst.dev",
            "Deployment/catalyst-host", "Deployment/catalyst-operator", "Namespace/catalyst", "PodDisruptionBudget/catalyst-host",
            "Role/catalyst-host", "RoleBinding/catalyst-host", "Service/catalyst-broker", "Service/catalyst-egress", "Service/catalyst-host",
            "ServiceAccount/catalyst-host", "ServiceAccount/catalyst-operator",
        }.Order());
        objects.OfType<IMetadata<V1ObjectMeta>>().Where(o => o is not V1Namespace and not V1ClusterRole and not V1ClusterRoleBinding and not V1CustomResourceDefinition)
            .ShouldAllBe(o => o.Metadata.NamespaceProperty == "catalyst");
    }

    [Fact]
    public async Task the_operator_runs_two_replicas_under_its_own_service_account()
    {
        var operatorDeployment = (await Rendered.Value).OfType<V1Deployment>().Single(d => d.Metadata.Name == "catalyst-operator");
        operatorDeployment.Spec.Replicas.ShouldBe(2);
        operatorDeployment.Spec.Template.Spec.ServiceAccountName.ShouldBe("catalyst-operator");
        operatorDeployment.Spec.Template.Spec.Containers.Single().Image.ShouldBe("ghcr.io/catalyst/operator:latest");
        var binding = (await Rendered.Value).OfType<V1ClusterRoleBinding>().Single();
        binding.RoleRef.Name.ShouldBe("catalyst-operator");
        binding.Subjects.Single().Name.ShouldBe("catalyst-operator");
    }

    [Fact]
    public async Task the_host_is_a_service_with_a_disruption_budget_and_the_broker_a_service_of_its_own()
    {
        var objects = await Rendered.Value;
        var host = objects.OfType<V1Deployment>().Single(d => d.Metadata.Name == "catalyst-host");
        var env = host.Spec.Template.Spec.Containers.Single().Env.ToDictionary(e => e.Name);
        env["Catalyst__Workspaces__Backend"].Value.ShouldBe("kubernetes");
        env["Catalyst__Workspaces__Kubernetes__RunnerImage"].Value.ShouldNotBeNullOrWhiteSpace();
        env["Catalyst__Workspaces__Kubernetes__BrokerAddress"].Value.ShouldBe("http://catalyst-broker.catalyst.svc.cluster.local:8400");
        env.ShouldContainKey("Catalyst__Workspaces__Kubernetes__RuntimeClassName");
        var labels = host.Spec.Template.Metadata.Labels;

        var services = objects.OfType<V1Service>().ToDictionary(s => s.Metadata.Name);
        services["catalyst-host"].Spec.Selector.ShouldAllBe(p => labels[p.Key] == p.Value);
        services["catalyst-broker"].Spec.Selector.ShouldAllBe(p => labels[p.Key] == p.Value);
        services["catalyst-broker"].Spec.Ports.Single().Port.ShouldBe(8400);
        var pdb = objects.OfType<V1PodDisruptionBudget>().Single();
        pdb.Spec.Selector.MatchLabels.ShouldAllBe(p => labels[p.Key] == p.Value);
        // The operator's NetworkPolicy lets workspaces reach exactly these pods.
        new KubernetesOperatorOptions().BrokerPodLabels.ShouldAllBe(p => labels[p.Key] == p.Value);

        // The egress proxy: a listener of the Host's, a Service of its own on the port the Host names to the pods.
        var container = host.Spec.Template.Spec.Containers.Single();
        var egressPort = container.Ports.Single(p => p.Name == "egress").ContainerPort;
        new Uri(env["Catalyst__Workspaces__Kubernetes__EgressProxyUrls"].Value).Port.ShouldBe(egressPort);
        services["catalyst-egress"].Spec.Selector.ShouldAllBe(p => labels[p.Key] == p.Value);
        var egressService = services["catalyst-egress"].Spec.Ports.Single();
        egressService.TargetPort.Value.ShouldBe("egress");
        env["Catalyst__Workspaces__Kubernetes__EgressProxyAddress"].Value.ShouldBe($"http://catalyst-egress.catalyst.svc.cluster.local:{egressService.Port}");
        var operatorEnv = objects.OfType<V1Deployment>().Single(d => d.Metadata.Name == "catalyst-operator").Spec.Template.Spec.Containers.Single().Env.ToDictionary(e => e.Name);
        KubernetesOperatorOptions.FromConfiguration(new ConfigurationBuilder().AddInMemoryCollection(
                operatorEnv.Where(e => e.Value.Value is not null).Select(e => KeyValuePair.Create(e.Key.Replace("__", ":"), (string?)e.Value.Value))).Build())
            .EgressProxyPodLabels.ShouldAllBe(p => labels[p.Key] == p.Value);
    }

    [Fact]
    public async Task the_database_and_master_key_secrets_are_referenced_and_not_included()
    {
        var objects = await Rendered.Value;
        objects.OfType<V1Secret>().ShouldBeEmpty();
        var references = objects.OfType<V1Deployment>().SelectMany(d => d.Spec.Template.Spec.Containers).SelectMany(c => c.Env ?? [])
            .Where(e => e.ValueFrom?.SecretKeyRef is not null).Select(e => e.ValueFrom.SecretKeyRef.Name).Distinct().Order();
        references.ShouldBe(["catalyst-database", "catalyst-master-key"]);
    }

    [Fact]
    public async Task the_cluster_role_has_no_wildcards()
    {
        var role = (await Rendered.Value).OfType<V1ClusterRole>().Single();
        role.Rules.ShouldAllBe(r => !r.Verbs.Contains("*") && !r.Resources.Contains("*") && !r.ApiGroups.Contains("*") && (r.NonResourceURLs == null || r.NonResourceURLs.Count == 0));
    }

    [Fact]
    public async Task the_cluster_role_allows_every_call_an_operator_makes_through_an_environments_life()
    {
        var role = (await Rendered.Value).OfType<V1ClusterRole>().Single();
        await using var server = await StartClusterAsync(o => o.RunPods = false);
        using var client = server.CreateClient();
        await using var replica = new OperatorReplica(server, "operator-a");
        await replica.StartAsync();

        var environment = await CreateExampleAsync(client);
        var ns = new TaskWorkspace(environment).Namespace;
        await EventuallyAsync(() => ReadOrNullAsync(() => client.BatchV1.ReadNamespacedJobAsync(TaskWorkspace.JobName, ns)), "the Job");
        var quota = await client.CoreV1.ReadNamespacedResourceQuotaAsync(TaskWorkspace.QuotaName, ns);
        quota.Spec.Hard["pods"] = new ResourceQuantity("9");
        await client.CoreV1.ReplaceNamespacedResourceQuotaAsync(quota, TaskWorkspace.QuotaName, ns);
        await EventuallyAsync(async () => (await client.CoreV1.ReadNamespacedResourceQuotaAsync(TaskWorkspace.QuotaName, ns)).Spec.Hard["pods"].ToString() == "2", "the quota put back", TimeSpan.FromSeconds(20));
        await Environments.DeleteAsync(client, HostNamespace, environment.Metadata.Name, CancellationToken.None);
        await EventuallyAsync(async () => await Environments.ReadAsync(client, HostNamespace, environment.Metadata.Name, CancellationToken.None) is null, "the Environment gone");

        var calls = replica.Calls.Requests.Select(Describe).Distinct().ToList();
        calls.ShouldContain(("catalyst.dev", "environments", "watch"));
        calls.ShouldContain(("", "namespaces", "delete"));
        calls.ShouldContain(("coordination.k8s.io", "leases", "update"));
        var denied = calls.Where(c => !role.Rules.Any(r => r.ApiGroups.Contains(c.Group) && r.Resources.Contains(c.Resource) && r.Verbs.Contains(c.Verb))).ToList();
        denied.ShouldBeEmpty();
    }

    /// <summary>The RBAC (group, resource, verb) a request needs.</summary>
    private static (string Group, string Resource, string Verb) Describe((string Method, string Path, string Query) call)
    {
        var parts = call.Path.Trim('/').Split('/');
        var (group, rest) = parts[0] == "api" ? ("", parts[2..]) : (parts[1], parts[3..]);
        if (rest.Length >= 2 && rest[0] == "namespaces" && rest.Length > 2) rest = rest[2..];
        var resource = rest[0];
        var named = rest.Length > 1;
        if (rest.Length > 2) resource += "/" + rest[2];
        var watch = call.Query.Contains("watch=true", StringComparison.Ordinal);
        var verb = call.Method switch
        {
            "GET" => named ? "get" : watch ? "watch" : "list",
            "POST" => "create",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => named ? "delete" : "deletecollection",
            _ => call.Method,
        };
        return (group, resource, verb);
    }

    private static async Task<List<IKubernetesObject>> RenderAsync()
    {
        var start = new ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("kustomize");
        start.ArgumentList.Add(RepositoryFiles.PathOf("deploy/kubernetes"));
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        process.ExitCode.ShouldBe(0, await errors);
        var types = new Dictionary<string, Type>
        {
            ["v1/Namespace"] = typeof(V1Namespace), ["v1/ServiceAccount"] = typeof(V1ServiceAccount), ["v1/Service"] = typeof(V1Service),
            ["v1/Secret"] = typeof(V1Secret), ["apps/v1/Deployment"] = typeof(V1Deployment), ["policy/v1/PodDisruptionBudget"] = typeof(V1PodDisruptionBudget),
            ["rbac.authorization.k8s.io/v1/ClusterRole"] = typeof(V1ClusterRole), ["rbac.authorization.k8s.io/v1/ClusterRoleBinding"] = typeof(V1ClusterRoleBinding),
            ["rbac.authorization.k8s.io/v1/Role"] = typeof(V1Role), ["rbac.authorization.k8s.io/v1/RoleBinding"] = typeof(V1RoleBinding),
            ["apiextensions.k8s.io/v1/CustomResourceDefinition"] = typeof(V1CustomResourceDefinition),
        };
        // Strict: an object of a kind not listed, or a field its type does not have, fails here.
        return KubernetesYaml.LoadAllFromString(await output, types, strict: true).Cast<IKubernetesObject>().ToList();
    }
}
