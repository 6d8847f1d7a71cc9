using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Catalyst.Host.Database;

/// <summary>How often the embedded PostgreSQL is looked at, and how hard Catalyst tries to start it again.</summary>
public sealed record EmbeddedDatabaseOptions
{
    /// <summary>Catalyst:Database:CheckSeconds (default 2): how often the server process is looked for.</summary>
    public TimeSpan CheckInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Catalyst:Database:RestartAttempts (default 5): starts tried after the server died, before liveness fails.</summary>
    public int RestartAttempts { get; init; } = 5;

    /// <summary>The wait after the first failed start; it doubles after each, up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan FirstBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Catalyst:Database:MaxBackoffSeconds (default 30): the longest wait between two starts.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    public static EmbeddedDatabaseOptions FromConfiguration(IConfiguration configuration)
    {
        var section = configuration.GetSection("Catalyst:Database");
        return new EmbeddedDatabaseOptions
        {
            CheckInterval = TimeSpan.FromSeconds(Math.Clamp(section.GetValue<double?>("CheckSeconds") ?? 2, 0.2, 60)),
            RestartAttempts = Math.Clamp(section.GetValue<int?>("RestartAttempts") ?? 5, 1, 100),
            MaxBackoff = TimeSpan.FromSeconds(Math.Clamp(section.GetValue<double?>("MaxBackoffSeconds") ?? 30, 1, 600)),
        };
    }
}

/// <summary>
/// Watches the embedded PostgreSQL and starts it again when it dies (killed, crashed, stopped by hand): a bounded number
/// of attempts with a doubling wait, each logged once. While it is down <c>/health/ready</c> answers 503 and
/// <c>/health</c> says what is being done; when every attempt failed <c>/health</c> answers 503 too, so that whatever
/// supervises the Host restarts it.
/// </summary>
public sealed class EmbeddedDatabaseSupervisor(CatalystDatabase database, EmbeddedDatabaseOptions options, TimeProvider time,
    ILogger<EmbeddedDatabaseSupervisor> logger) : BackgroundService, IHealthCheck
{
    private volatile Status _state = new(HealthStatus.Healthy, "Healthy");
    private static volatile bool _outage;

    private sealed record Status(HealthStatus Health, string Description);

    /// <summary>The embedded database is known to be down (being started again, or given up on): the logs of what fails because of it are held back.</summary>
    public static bool OutageUnderWay => _outage;

    private Status Current
    {
        get => _state;
        set
        {
            _state = value;
            _outage = value.Health != HealthStatus.Healthy;
        }
    }

    /// <summary>What the embedded database is doing now, in words (what <c>/health</c> says).</summary>
    public string Description => Current.Description;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = Current;
        return Task.FromResult(new HealthCheckResult(status.Health, status.Description));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (database.Embedded is not { } cluster) return;
        using var timer = new PeriodicTimer(options.CheckInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                if (cluster.IsRunning())
                {
                    // Started by hand after Catalyst gave up: healthy again.
                    if (Current.Health != HealthStatus.Healthy)
                    {
                        logger.LogInformation("The embedded PostgreSQL is running again");
                        Current = new(HealthStatus.Healthy, "Healthy");
                    }
                    continue;
                }
                if (Current.Health == HealthStatus.Unhealthy) continue; // gave up: said once, liveness fails
                await RestartAsync(cluster, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The Host stops; it stops the database after this.
        }
    }

    private async Task RestartAsync(PostgresCluster cluster, CancellationToken ct)
    {
        var wait = options.FirstBackoff;
        string? lastError = null;
        for (var attempt = 1; attempt <= options.RestartAttempts; attempt++)
        {
            Current = new(HealthStatus.Degraded,
                $"Degraded: the embedded PostgreSQL stopped; starting it again (attempt {attempt} of {options.RestartAttempts}).");
            logger.LogWarning("The embedded PostgreSQL in {Directory} is not running; starting it again (attempt {Attempt} of {Attempts})",
                cluster.Directory, attempt, options.RestartAttempts);
            try
            {
                await cluster.RestartAsync(ct);
                logger.LogInformation("The embedded PostgreSQL was started again (attempt {Attempt})", attempt);
                Current = new(HealthStatus.Healthy, "Healthy");
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                lastError = e.Message;
                logger.LogError("Starting the embedded PostgreSQL failed (attempt {Attempt} of {Attempts}): {Error}", attempt, options.RestartAttempts, e.Message);
            }
            if (attempt == options.RestartAttempts) break;
            await Task.Delay(wait, time, ct);
            wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, options.MaxBackoff.Ticks));
        }
        Current = new(HealthStatus.Unhealthy,
            $"Unhealthy: the embedded PostgreSQL stopped and did not start again after {options.RestartAttempts} attempts ({lastError}). " +
            $"Restart Catalyst; PostgreSQL's own log is {cluster.LogFile}.");
        logger.LogCritical("The embedded PostgreSQL did not start again after {Attempts} attempts; /health now answers 503. Its log: {LogFile}",
            options.RestartAttempts, cluster.LogFile);
    }
}
