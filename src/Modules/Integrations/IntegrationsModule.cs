using Catalyst.Integrations.Projects;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Wolverine;

namespace Catalyst.Integrations;

public static class IntegrationsModule
{
    public const string Schema = "integrations";

    public static IServiceCollection AddIntegrationsModule(this IServiceCollection services)
    {
        services.ConfigureMarten(opts =>
        {
            opts.Schema.For<Project>().DatabaseSchemaName(Schema).UniqueIndex(p => p.Slug).GinIndexJsonData();
        });
        services.ConfigureWolverine(opts => opts.Discovery.IncludeAssembly(typeof(IntegrationsModule).Assembly));
        return services;
    }
}
