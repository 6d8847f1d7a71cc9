using System.Diagnostics.Metrics;

namespace Catalyst.Integrations.GitHub;

/// <summary>
/// <c>catalyst_webhook_deliveries_total{source,event,outcome}</c>: each webhook delivery, counted once when it is answered.
/// One meter for the process, never disposed (see TaskMetrics for why).
/// </summary>
public static class WebhookMetrics
{
    public const string MeterName = "Catalyst.Integrations";
    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> Deliveries = Meter.CreateCounter<long>("catalyst_webhook_deliveries",
        description: "Webhook deliveries answered, by source, event and outcome (accepted, duplicate, ignored, refused, bad_request, too_large, failed).");

    /// <summary>The events Catalyst acts on, and ping; any other name (it comes from the sender) is counted as "other".</summary>
    private static readonly HashSet<string> KnownEvents = ["ping", "issue_comment", "pull_request_review_comment", "pull_request_review", "issues"];

    public static void Count(string source, string eventName, string outcome) =>
        Deliveries.Add(1, new KeyValuePair<string, object?>("source", source),
            new KeyValuePair<string, object?>("event", KnownEvents.Contains(eventName) ? eventName : "other"),
            new KeyValuePair<string, object?>("outcome", outcome));
}
