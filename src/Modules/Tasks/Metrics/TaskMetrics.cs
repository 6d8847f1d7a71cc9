using System.Diagnostics.Metrics;

namespace Catalyst.Tasks.Metrics;

/// <summary>
/// The Tasks module's instruments (meter <c>Catalyst.Tasks</c>), named as Prometheus shows them. Counters move only
/// after the fact they count is committed (see <see cref="TaskMetricsListener"/>), so a retried handler counts once.
/// </summary>
public sealed class TaskMetrics : IDisposable
{
    public const string MeterName = "Catalyst.Tasks";

    private readonly Meter _meter;

    public TaskMetrics(IMeterFactory meters, TaskGauges gauges)
    {
        _meter = meters.Create(MeterName);
        Created = _meter.CreateCounter<long>("catalyst_agent_tasks_created", description: "Agent tasks created, by provider, type and source.");
        Finished = _meter.CreateCounter<long>("catalyst_agent_tasks_finished", description: "Agent tasks ended, by provider and final status.");
        Duration = _meter.CreateHistogram<double>("catalyst_agent_task_duration", unit: "s",
            description: "From a task's creation to its end, by provider and final status.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200] });
        QueueWait = _meter.CreateHistogram<double>("catalyst_agent_task_queue_wait", unit: "s",
            description: "From a task joining the queue to its workspace being asked for.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900] });
        Tokens = _meter.CreateCounter<long>("catalyst_agent_tokens", description: "Model tokens the broker metered, by provider and kind (input, output, cache_read, cache_write).");
        CostUsd = _meter.CreateCounter<double>("catalyst_agent_cost_usd", description: "What the metered tokens cost in US dollars, by provider.");
        LogLines = _meter.CreateCounter<long>("catalyst_task_log_lines", description: "Task log lines stored.");
        SseClients = _meter.CreateUpDownCounter<long>("catalyst_sse_clients", description: "Clients following a task's live log.");
        _meter.CreateObservableGauge("catalyst_agent_tasks_queued", () => gauges.Queued,
            description: "Tasks waiting in the queue for a workspace.");
        _meter.CreateObservableGauge("catalyst_agent_task_oldest_age", gauges.OldestAges, unit: "s",
            description: "Age of the oldest task in each unfinished status (provisioning: since its workspace was asked for).");
        _meter.CreateObservableGauge("catalyst_database_up", () => gauges.DatabaseUp,
            description: "1 when the last check reached the database, else 0.");
    }

    public Counter<long> Created { get; }
    public Counter<long> Finished { get; }
    public Histogram<double> Duration { get; }
    public Histogram<double> QueueWait { get; }
    public Counter<long> Tokens { get; }
    public Counter<double> CostUsd { get; }
    public Counter<long> LogLines { get; }
    public UpDownCounter<long> SseClients { get; }

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

    public void Dispose() => _meter.Dispose();
}
