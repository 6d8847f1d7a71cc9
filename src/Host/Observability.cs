using System.Security.Cryptography;
using System.Text;
using Catalyst.Operator;
using Catalyst.Tasks.Metrics;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Catalyst.Host;

/// <summary>
/// Metrics and traces through OpenTelemetry. <c>/metrics</c> (Prometheus text) is off until it is given a place:
/// <c>Catalyst:Metrics:Urls</c> serves it on a management port of its own (and nothing else there), and
/// <c>Catalyst:Metrics:Token</c> serves it on the app's port to a scraper that sends that bearer token.
/// Traces go out over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.
/// </summary>
public static class Observability
{
    public const string MetricsPath = "/metrics";
    private static readonly SemaphoreSlim OneScrapeAtATime = new(1, 1);

    public static void AddCatalystObservability(this WebApplicationBuilder builder)
    {
        var metricsUrls = MetricsUrls(builder.Configuration);
        if (metricsUrls.Length > 0)
        {
            var appUrls = builder.Configuration["urls"] ?? "http://localhost:5080";
            builder.WebHost.UseUrls([.. appUrls.Split(';', StringSplitOptions.RemoveEmptyEntries), .. metricsUrls]);
        }

        var otel = builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddMeter("Catalyst.*", "Npgsql", "Marten", "Wolverine*")
                .AddAspNetCoreInstrumentation()
                .AddRuntimeInstrumentation()
                .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        // Spans are only made when they go somewhere: without an exporter, recording every request's and every SQL
        // command's span would cost CPU on every request for nothing.
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
            otel.WithTracing(tracing => tracing
                .AddSource(Catalyst.Tasks.Metrics.TaskTraces.SourceName, "Wolverine", "Marten")
                .AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments(MetricsPath))
                .AddNpgsql()
                .AddOtlpExporter());
    }

    public static void MapCatalystMetrics(this WebApplication app)
    {
        var ports = MetricsUrls(app.Configuration).Select(u => new Uri(u.Replace("*", "localhost").Replace("+", "localhost")).Port).ToHashSet();
        var token = app.Configuration["Catalyst:Metrics:Token"];
        if (ports.Count == 0 && string.IsNullOrEmpty(token))
        {
            app.MapGet(MetricsPath, () => Results.Text(
                "Metrics are off: set Catalyst__Metrics__Urls (a management port) or Catalyst__Metrics__Token (a bearer token on this port).",
                statusCode: StatusCodes.Status404NotFound)).AllowAnonymous();
            return;
        }

        app.UseWhen(http => ports.Contains(http.Connection.LocalPort), port => port.Use((http, next) =>
            // The management port answers metrics and nothing else.
            http.Request.Path.StartsWithSegments(MetricsPath) ? next(http) : Results.NotFound().ExecuteAsync(http)));

        app.MapPrometheusScrapingEndpoint(MetricsPath)
            .AddEndpointFilter(async (context, next) =>
            {
                var http = context.HttpContext;
                if (ports.Count > 0 && !ports.Contains(http.Connection.LocalPort)) return Results.NotFound();
                if (!string.IsNullOrEmpty(token) && !BearerMatches(http.Request, token))
                {
                    http.Response.Headers.WWWAuthenticate = "Bearer realm=\"catalyst-metrics\"";
                    return Results.Text("Send the metrics token: Authorization: Bearer <Catalyst__Metrics__Token>.", statusCode: StatusCodes.Status401Unauthorized);
                }
                // The meters are the process's; the gauges answer for this Host (tests run several in one process), one
                // scrape at a time.
                await OneScrapeAtATime.WaitAsync(http.RequestAborted);
                try
                {
                    TaskMetrics.AnswerScrapeWith(http.RequestServices.GetRequiredService<TaskGauges>());
                    WorkspaceMetrics.AnswerScrapeWith(http.RequestServices.GetService<LocalWorkspaces>());
                    return await next(context);
                }
                finally
                {
                    TaskMetrics.AnswerScrapeWith(null);
                    WorkspaceMetrics.AnswerScrapeWith(null);
                    OneScrapeAtATime.Release();
                }
            })
            .AllowAnonymous();
    }

    private static string[] MetricsUrls(IConfiguration configuration) =>
        (configuration["Catalyst:Metrics:Urls"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static bool BearerMatches(HttpRequest request, string token)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return false;
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[7..].Trim()), Encoding.UTF8.GetBytes(token));
    }
}
