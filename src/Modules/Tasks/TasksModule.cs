using Marten;
using Microsoft.Extensions.DependencyInjection;
using Wolverine;

namespace Catalyst.Tasks;

public static class TasksModule
{
    public const string Schema = "tasks";

    public static IServiceCollection AddTasksModule(this IServiceCollection services)
    {
        services.ConfigureWolverine(opts => opts.Discovery.IncludeAssembly(typeof(TasksModule).Assembly));
        return services;
    }
}
