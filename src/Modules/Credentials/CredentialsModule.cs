using Marten;
using Microsoft.Extensions.DependencyInjection;
using Wolverine;

namespace Catalyst.Credentials;

public static class CredentialsModule
{
    public const string Schema = "credentials";

    public static IServiceCollection AddCredentialsModule(this IServiceCollection services)
    {
        services.ConfigureWolverine(opts => opts.Discovery.IncludeAssembly(typeof(CredentialsModule).Assembly));
        return services;
    }
}
