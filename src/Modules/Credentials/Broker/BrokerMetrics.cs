using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Http;

namespace Catalyst.Credentials;

/// <summary><c>catalyst_broker_request_duration_seconds{api,status}</c>: each broker request from its arrival to the end of its answer.</summary>
public sealed class BrokerMetrics
{
    public const string MeterName = "Catalyst.Broker";
    // One meter for the process, never disposed (see TaskMetrics for why).
    private static readonly Meter Meter = new(MeterName);
    private static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("catalyst_broker_request_duration", unit: "s",
            description: "Broker requests from arrival to the end of the answer (a streamed answer counts until its last byte), by API and status.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300] });

    public async Task Measure(HttpContext context, RequestDelegate next)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            var api = VendorApis.Classify(context.Request.Method, context.Request.Path.Value ?? "")?.ToString() ?? "unknown";
            Duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds,
                new KeyValuePair<string, object?>("api", api), new KeyValuePair<string, object?>("status", context.Response.StatusCode));
        }
    }

}
