using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

namespace Catalyst.Operator.Kubernetes;

/// <summary>
/// The operator's instruments (meter <c>Catalyst.Operator</c>): <c>catalyst_operator_reconcile_duration_seconds{result}</c>
/// (its count is the number of reconciles), <c>catalyst_operator_queue_depth{identity}</c> and
/// <c>catalyst_operator_leader{identity}</c>. One meter for the process, never disposed (see TaskMetrics in the Tasks
/// module for why); the gauges read every replica running in this process (one, outside tests).
/// </summary>
public static class OperatorMetrics
{
    public const string MeterName = "Catalyst.Operator";
    private static readonly Meter Meter = new(MeterName);
    private static readonly Histogram<double> ReconcileDuration = Meter.CreateHistogram<double>("catalyst_operator_reconcile_duration", unit: "s",
        description: "Reconciles of an Environment by the leading replica, by result (success, conflict, error).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });

    private static readonly List<EnvironmentOperator> Live = [];

    static OperatorMetrics()
    {
        Meter.CreateObservableGauge("catalyst_operator_leader", () => Each(o => o.IsLeader ? 1 : 0),
            description: "1 while this replica holds the operator's Lease and reconciles, else 0.");
        Meter.CreateObservableGauge("catalyst_operator_queue_depth", () => Each(o => o.QueueDepth),
            description: "Environments waiting in the leader's work queue to be reconciled (0 on a replica that does not lead).");
    }

    private static IEnumerable<Measurement<int>> Each(Func<EnvironmentOperator, int> value)
    {
        EnvironmentOperator[] live;
        lock (Live) live = [.. Live];
        return live.Select(o => new Measurement<int>(value(o), new KeyValuePair<string, object?>("identity", o.Identity))).ToList();
    }

    internal static void Started(EnvironmentOperator replica) { lock (Live) Live.Add(replica); }
    internal static void Stopped(EnvironmentOperator replica) { lock (Live) Live.Remove(replica); }

    internal static void Reconciled(TimeSpan took, string result) =>
        ReconcileDuration.Record(took.TotalSeconds, new KeyValuePair<string, object?>("result", result));

    /// <summary>
    /// <c>/metrics</c> in Prometheus' text format on <c>Catalyst:Metrics:Urls</c> (for example <c>http://+:9464</c>), as
    /// the Host serves its own: the operator's meter and the .NET runtime's. Off when the setting is empty.
    /// </summary>
    public static IServiceCollection AddOperatorMetrics(this IServiceCollection services, IConfiguration configuration)
    {
        var prefixes = (configuration["Catalyst:Metrics:Urls"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(u => u.Replace("://0.0.0.0:", "://+:").Replace("://*:", "://+:").TrimEnd('/') + "/")
            .ToArray();
        if (prefixes.Length == 0) return services;
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(MeterName)
            .AddRuntimeInstrumentation()
            .AddPrometheusHttpListener(o =>
            {
                o.ScrapeEndpointPath = "/metrics";
                o.ScrapeResponseCacheDurationMilliseconds = 0;
                o.ConfigureHttpListener = (_, listener) =>
                {
                    listener.Prefixes.Clear();
                    foreach (var prefix in prefixes) listener.Prefixes.Add(prefix);
                };
            }));
        return services;
    }
}
