using System.Diagnostics.Metrics;
using Catalyst.Tasks.Domain;
using Marten;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Catalyst.Tasks.Metrics;

/// <summary>
/// What the gauges show, read from the database every few seconds (<c>Catalyst:Metrics:SampleSeconds</c>, default 15)
/// rather than on each scrape: a scrape never waits on, or fails with, the database. Every node reads the same rows, so
/// the figures are the whole installation's (aggregate them with max, not sum).
/// </summary>
public sealed class TaskGauges(IServiceProvider services, IConfiguration configuration, TimeProvider clock, ILogger<TaskGauges> logger)
    : BackgroundService
{
    // Down until the first read succeeds: a Host that never reaches its database never looks healthy.
    private volatile Snapshot _last = new(0, [], 0);

    private sealed record Snapshot(long Queued, IReadOnlyList<KeyValuePair<string, double>> OldestAges, int DatabaseUp, DateTimeOffset? At = null);

    public long Queued => _last.Queued;
    public int DatabaseUp => _last.DatabaseUp;
    /// <summary>When the database was last read (null: never).</summary>
    public DateTimeOffset? SampledAt => _last.At;

    public IEnumerable<Measurement<double>> OldestAges() =>
        _last.OldestAges.Select(a => new Measurement<double>(a.Value, new KeyValuePair<string, object?>("status", a.Key)));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        TaskMetrics.Started(this);
        try
        {
            await SampleEveryAsync(stoppingToken);
        }
        finally
        {
            TaskMetrics.Stopped(this);
        }
    }

    private async Task SampleEveryAsync(CancellationToken stoppingToken)
    {
        var every = TimeSpan.FromSeconds(configuration.GetValue<double?>("Catalyst:Metrics:SampleSeconds") ?? 15);
        var failing = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // A read that hangs (a lock, a pool with no free connection) must not freeze the gauges: it counts as a failure.
                using var cut = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                cut.CancelAfter(Timeout(every));
                _last = await SampleAsync(cut.Token);
                if (failing) logger.LogInformation("Task metrics read the database again");
                failing = false;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                _last = _last with { DatabaseUp = 0 };
                // Once per outage, not once per sample.
                if (!failing) logger.LogWarning("Task metrics cannot read the database: {Reason}", e.Message);
                failing = true;
            }
            try { await Task.Delay(every, clock, stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }

    private static TimeSpan Timeout(TimeSpan every) => TimeSpan.FromSeconds(Math.Max(10, every.TotalSeconds));

    private async Task<Snapshot> SampleAsync(CancellationToken ct)
    {
        await using var session = services.GetRequiredService<IDocumentStore>().QuerySession();
        var unfinished = await session.Query<AgentTask>()
            .Where(t => t.Status.In(Unfinished))
            .Select(t => new Row(t.Status, t.CreatedAt, t.QueuedAt, t.WorkspaceRequestedAt, t.StartedAt))
            .ToListAsync(ct);
        var now = clock.GetUtcNow();
        // Every unfinished status has a value (0: none), so a dashboard or an alert never reads a missing series.
        var oldest = Unfinished
            .Select(status => KeyValuePair.Create(StatusLabel(status),
                unfinished.Where(r => r.Status == status).Select(r => (now - r.Since).TotalSeconds).DefaultIfEmpty(0).Max()))
            .ToList();
        return new Snapshot(unfinished.Count(r => r.Status == AgentTaskStatus.Pending), oldest, 1, now);
    }

    private static readonly AgentTaskStatus[] Unfinished =
        [AgentTaskStatus.Pending, AgentTaskStatus.Provisioning, AgentTaskStatus.Running, AgentTaskStatus.AwaitingApproval, AgentTaskStatus.AwaitingChoice];

    private sealed record Row(AgentTaskStatus Status, DateTimeOffset CreatedAt, DateTimeOffset? QueuedAt, DateTimeOffset? WorkspaceRequestedAt,
        DateTimeOffset? StartedAt)
    {
        public DateTimeOffset Since => Status switch
        {
            AgentTaskStatus.Pending => QueuedAt ?? CreatedAt,
            AgentTaskStatus.Provisioning => WorkspaceRequestedAt ?? CreatedAt,
            AgentTaskStatus.Running => StartedAt ?? CreatedAt,
            _ => CreatedAt,
        };
    }

    /// <summary>The status as metrics label it: snake case, as the MCP tools spell it.</summary>
    public static string StatusLabel(AgentTaskStatus status) =>
        string.Concat(status.ToString().Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}
