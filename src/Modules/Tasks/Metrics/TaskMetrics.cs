using System.Diagnostics.Metrics;

namespace Catalyst.Tasks.Metrics;

/// <summary>
/// The Tasks module's instruments (meter <c>Catalyst.Tasks</c>), named as Prometheus shows them. Counters move only
/// after the fact they count is committed (see <see cref="TaskMetricsListener"/>), so a retried handler counts once.
/// The meter lives as long as the process: OpenTelemetry stops exporting every meter of a name once one meter of that
/// name is disposed (open-telemetry/opentelemetry-dotnet#6412), so it is never disposed.
/// </summary>
public sealed class TaskMetrics
{
    public const string MeterName = "Catalyst.Tasks";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> CreatedCounter = Meter.CreateCounter<long>("catalyst_agent_tasks_created",
        description: "Agent tasks created, by provider, type and source.");
    private static readonly Counter<long> FinishedCounter = Meter.CreateCounter<long>("catalyst_agent_tasks_finished",
        description: "Agent tasks ended, by provider and final status.");
    private static readonly Histogram<double> DurationHistogram = Meter.CreateHistogram<double>("catalyst_agent_task_duration", unit: "s",
        description: "From a task's creation to its end, by provider and final status.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200] });
    private static readonly Histogram<double> QueueWaitHistogram = Meter.CreateHistogram<double>("catalyst_agent_task_queue_wait", unit: "s",
        description: "From a task joining the queue to its workspace being asked for.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900] });
    private static readonly Counter<long> TokensCounter = Meter.CreateCounter<long>("catalyst_agent_tokens",
        description: "Model tokens the broker metered, by provider and kind (input, output, cache_read, cache_write).");
    private static readonly Counter<double> CostCounter = Meter.CreateCounter<double>("catalyst_agent_cost_usd",
        description: "What the metered tokens cost in US dollars, by provider.");
    private static readonly Counter<long> LogLinesCounter = Meter.CreateCounter<long>("catalyst_task_log_lines", description: "Task log lines stored.");
    private static readonly UpDownCounter<long> SseClientsCounter = Meter.CreateUpDownCounter<long>("catalyst_sse_clients",
        description: "Clients following a task's live log.");

    // The gauges of the Hosts running in this process (one, outside tests): the one being scraped answers, else the one
    // that started last.
    private static readonly List<TaskGauges> Live = [];
    private static TaskGauges? Current { get { if (Scraped is { } scraped) return scraped; lock (Live) return Live.Count == 0 ? null : Live[^1]; } }
    private static volatile TaskGauges? Scraped;

    /// <summary>
    /// Makes the gauges read <paramref name="gauges"/> until it is called again with null: the scrape endpoint sets it
    /// around a collection, one scrape at a time in the process, so a collection reads the Host that was scraped whatever
    /// thread the exporter collects on.
    /// </summary>
    public static void AnswerScrapeWith(TaskGauges? gauges) => Scraped = gauges;

    internal static void Started(TaskGauges gauges) { lock (Live) Live.Add(gauges); }
    internal static void Stopped(TaskGauges gauges) { lock (Live) Live.Remove(gauges); }

    static TaskMetrics()
    {
        Meter.CreateObservableGauge("catalyst_agent_tasks_queued", () => Current?.Queued ?? 0,
            description: "Tasks waiting in the queue for a workspace.");
        Meter.CreateObservableGauge("catalyst_agent_task_oldest_age", () => Current?.OldestAges() ?? [], unit: "s",
            description: "Age of the oldest task in each unfinished status (provisioning: since its workspace was asked for).");
        Meter.CreateObservableGauge("catalyst_database_up", () => Current?.DatabaseUp ?? 0,
            description: "1 when the last check reached the database, else 0.");
    }


    public Counter<long> Created => CreatedCounter;
    public Counter<long> Finished => FinishedCounter;
    public Histogram<double> Duration => DurationHistogram;
    public Histogram<double> QueueWait => QueueWaitHistogram;
    public Counter<long> Tokens => TokensCounter;
    public Counter<double> CostUsd => CostCounter;
    public Counter<long> LogLines => LogLinesCounter;
    public UpDownCounter<long> SseClients => SseClientsCounter;

    /// <summary>Counts a live-log client until the returned value is disposed.</summary>
    public IDisposable FollowingLive()
    {
        SseClients.Add(1);
        return new Leave(SseClients);
    }

    private sealed class Leave(UpDownCounter<long> clients) : IDisposable
    {
        private int _left;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _left, 1) == 0) clients.Add(-1);
        }
    }
}
