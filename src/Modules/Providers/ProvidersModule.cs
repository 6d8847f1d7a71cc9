using Catalyst.Providers.Catalogue;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Wolverine;

namespace Catalyst.Providers;

public static class ProvidersModule
{
    public const string Schema = "providers";

    public static IServiceCollection AddProvidersModule(this IServiceCollection services)
    {
        // Concrete instances, so that a deployment or a test adds its own with services.AddSingleton(new AgentProviderDefinition { ... }).
        foreach (var definition in BuiltInAgentProviders.All) services.AddSingleton(definition);

        services.ConfigureMarten(opts => opts.Schema.For<AgentProvider>().DatabaseSchemaName(Schema));
        services.InitializeMartenWith<AgentProviderSeed>();
        services.ConfigureWolverine(opts => opts.Discovery.IncludeAssembly(typeof(ProvidersModule).Assembly));
        return services;
    }
}
