using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Wolverine;
using Wolverine.Postgresql;

namespace Catalyst.Operator.Kubernetes.Backend;

public static class KubernetesWorkspacesModule
{
    /// <summary>
    /// The Host's Kubernetes backend: ProvisionWorkspace creates an Environment, StopWorkspace asks it to stop,
    /// QueryWorkspace reads its status; the operator's messages come back on the PostgreSQL queue.
    /// </summary>
    public static IServiceCollection AddKubernetesWorkspaces(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(KubernetesWorkspaceOptions.FromConfiguration(configuration));
        services.TryAddSingleton<k8s.IKubernetes>(_ => new k8s.Kubernetes(KubernetesOperatorModule.ClusterConfiguration()));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IWorkspaceCredentialSource, CredentialsModuleCredentialSource>();
        services.AddSingleton<KubernetesWorkspaces>();
        services.AddSingleton<IWorkspaceBackend>(sp => sp.GetRequiredService<KubernetesWorkspaces>());
        services.AddSingleton<KubernetesEgressProxy>();
        services.AddHostedService(sp => sp.GetRequiredService<KubernetesEgressProxy>());
        services.ConfigureWolverine(opts =>
        {
            opts.Discovery.IncludeAssembly(typeof(KubernetesWorkspacesModule).Assembly);
            // In the order the operator sent them (a task's output batches, then its end), on one node at a time: a
            // parallel listener stored a task's lines out of order.
            opts.ListenToPostgresqlQueue(KubernetesOperatorModule.WorkspaceEventsQueue).ListenWithStrictOrdering();
        });
        return services;
    }
}
