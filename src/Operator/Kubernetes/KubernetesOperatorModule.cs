using Catalyst.Operator.Kubernetes.Controllers;
using Catalyst.Operator.Kubernetes.Finalizers;
using k8s;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Catalyst.Operator.Kubernetes;

public static class KubernetesOperatorModule
{
    /// <summary>The queue (PostgreSQL transport) on which the operator sends the Host what its workspaces did.</summary>
    public const string WorkspaceEventsQueue = "catalyst_workspace_events";

    /// <summary>Schema of the PostgreSQL transport's queue tables, the same for the Host and the operator.</summary>
    public const string TransportSchema = "wolverine_queues";

    /// <summary>The cluster's client: the pod's service account in a cluster, else KUBECONFIG (or ~/.kube/config).</summary>
    public static KubernetesClientConfiguration ClusterConfiguration() =>
        KubernetesClientConfiguration.IsInCluster()
            ? KubernetesClientConfiguration.InClusterConfig()
            : KubernetesClientConfiguration.BuildConfigFromConfigFile(Environment.GetEnvironmentVariable("KUBECONFIG"));

    public static IServiceCollection AddEnvironmentOperator(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(KubernetesOperatorOptions.FromConfiguration(configuration));
        services.TryAddSingleton<IKubernetes>(_ => new k8s.Kubernetes(ClusterConfiguration()));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IWorkspaceEvents, WolverineWorkspaceEvents>();
        services.AddSingleton<TaskNamespaceFinalizer>();
        services.AddSingleton<WorkspaceLogs>();
        services.AddSingleton<EnvironmentController>();
        services.AddSingleton<EnvironmentOperator>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<EnvironmentOperator>());
        return services;
    }
}
