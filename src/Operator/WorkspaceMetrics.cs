using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;

namespace Catalyst.Operator;

/// <summary><c>catalyst_workspaces_running{backend="local"}</c>: the workspaces this node runs (sum it across nodes).</summary>
public sealed class WorkspaceMetrics : IHostedService, IDisposable
{
    public const string MeterName = "Catalyst.Workspaces";
    private readonly Meter _meter;

    public WorkspaceMetrics(IMeterFactory meters, LocalWorkspaces workspaces)
    {
        _meter = meters.Create(MeterName);
        _meter.CreateObservableGauge("catalyst_workspaces_running",
            () => new Measurement<int>(workspaces.Running.Count, new KeyValuePair<string, object?>("backend", "local")),
            description: "Workspaces running on this node, by backend.");
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public void Dispose() => _meter.Dispose();
}
