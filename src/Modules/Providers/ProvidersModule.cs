using Marten;
using Microsoft.Extensions.DependencyInjection;
using Wolverine;

namespace Catalyst.Providers;

public static class ProvidersModule
{
    public const string Schema = "providers";

    public static IServiceCollection AddProvidersModule(this IServiceCollection services)
    {
        services.ConfigureWolverine(opts => opts.Discovery.IncludeAssembly(typeof(ProvidersModule).Assembly));
        return services;
    }
}
