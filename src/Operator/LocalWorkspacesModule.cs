using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Wolverine;

namespace Catalyst.Operator;

public static class LocalWorkspacesModule
{
    /// <summary>The local workspace backend: agents run as child processes of this Host (see <see cref="LocalWorkspaceOptions.FromConfiguration"/>).</summary>
    public static IServiceCollection AddLocalWorkspaces(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(LocalWorkspaceOptions.FromConfiguration(configuration));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IWorkspaceCredentialSource, CredentialsModuleCredentialSource>();
        services.AddSingleton<AgentCliCache>();
        services.AddSingleton<LocalWorkspaces>();
        services.AddSingleton<Local.RepositoryCacheWarmer>();
        services.AddSingleton<IWorkspaceBackend, LocalWorkspaceBackend>();
        services.AddHostedService<LocalWorkspacesLifetime>();
        services.AddHostedService<WorkspaceMetrics>();
        services.ConfigureWolverine(opts => opts.Discovery.IncludeAssembly(typeof(LocalWorkspacesModule).Assembly));
        return services;
    }
}
