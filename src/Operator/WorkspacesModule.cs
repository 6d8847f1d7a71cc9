using Catalyst.Operator.Kubernetes.Backend;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Catalyst.Operator;

public static class WorkspacesModule
{
    /// <summary><c>Catalyst__Workspaces__Backend</c>: <c>local</c> (the default: this Host's processes) or <c>kubernetes</c>.</summary>
    public static IServiceCollection AddWorkspaces(this IServiceCollection services, IConfiguration configuration) =>
        KubernetesWorkspaceOptions.IsSelected(configuration)
            ? services.AddKubernetesWorkspaces(configuration)
            : services.AddLocalWorkspaces(configuration);
}
