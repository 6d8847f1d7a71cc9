using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;

namespace Catalyst.Operator;

/// <summary>
/// <c>catalyst_workspaces_running{backend="local"}</c>: the workspaces this node runs (sum it across nodes). One meter for
/// the process, never disposed (see TaskMetrics for why); a scrape reads the workspaces of the Host it reached (else the Host that started last).
/// </summary>
public sealed class WorkspaceMetrics(LocalWorkspaces workspaces) : IHostedService
{
    public const string MeterName = "Catalyst.Workspaces";
    private static readonly Meter Meter = new(MeterName);
    // The workspaces of the Hosts running in this process (one, outside tests): the one that started last answers.
    private static readonly List<LocalWorkspaces> Live = [];
    private static int RunningNow()
    {
        if (Scraped is { } scraped) return scraped.Running.Count;
        lock (Live) return Live.Count == 0 ? 0 : Live[^1].Running.Count;
    }
    private static volatile LocalWorkspaces? Scraped;

    /// <summary>Makes the gauge read the workspaces of <paramref name="workspaces"/>' Host until called again with null (see TaskMetrics).</summary>
    public static void AnswerScrapeWith(LocalWorkspaces? workspaces) => Scraped = workspaces;

    static WorkspaceMetrics() =>
        Meter.CreateObservableGauge("catalyst_workspaces_running",
            () => new Measurement<int>(RunningNow(), new KeyValuePair<string, object?>("backend", "local")),
            description: "Workspaces running on this node, by backend.");

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lock (Live) Live.Add(workspaces);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        lock (Live) Live.Remove(workspaces);
        return Task.CompletedTask;
    }
}
