using Catalyst.Contracts;
using Catalyst.Operator.Kubernetes;
using JasperFx;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Wolverine;
using Wolverine.Postgresql;

namespace Catalyst.Operator;

/// <summary>
/// The Kubernetes operator as a process of its own: <c>dotnet run --project src/Operator</c> (or its image). It needs
/// the cluster (in-cluster configuration or KUBECONFIG) and the Host's PostgreSQL (<c>ConnectionStrings__catalyst</c>),
/// where it sends the Host what its workspaces do. Namespaced so that it does not clash with the Host's Program.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(args);
        var connectionString = builder.Configuration.GetConnectionString("catalyst")
            ?? throw new InvalidOperationException("Set ConnectionStrings__catalyst to the Host's PostgreSQL: the operator sends the Host its workspaces' events through it.");

        builder.UseWolverine(opts =>
        {
            // This assembly also holds the local backend's handlers, which the operator must not run.
            opts.Discovery.DisableConventionalDiscovery();
            opts.UsePostgresqlPersistenceAndTransport(connectionString, "catalyst_operator", KubernetesOperatorModule.TransportSchema).AutoProvision();
            opts.Policies.UseDurableOutboxOnAllSendingEndpoints();
            foreach (var type in new[] { typeof(WorkspaceProvisioned), typeof(AgentStarted), typeof(AgentOutput), typeof(WorkspaceExited), typeof(RevokeTaskToken) })
                opts.PublishMessage(type).ToPostgresqlQueue(KubernetesOperatorModule.WorkspaceEventsQueue);
        });
        builder.Services.AddEnvironmentOperator(builder.Configuration);
        builder.Services.AddOperatorMetrics(builder.Configuration);

        using var host = builder.Build();
        return await host.RunJasperFxCommands(args);
    }
}
