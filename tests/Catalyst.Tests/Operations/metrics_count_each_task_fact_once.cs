using System.Diagnostics;
using System.Net;
using Catalyst.Tasks.Domain;
using Catalyst.Tasks.Metrics;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Tasks;
using Catalyst.Tests.Workspaces;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace Catalyst.Tests.Operations;

public sealed class metrics_count_each_task_fact_once(AppFixture fixture) : IntegrationContext(fixture), IDisposable
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();

    public void Dispose() => _sandbox.Dispose();

    private HttpClient Scraper() => new(Host.Server.CreateHandler()) { BaseAddress = new Uri("http://localhost") };

    [Fact]
    public async Task metrics_answer_only_the_scraper_that_sends_the_token()
    {
        using var http = Scraper();
        var anonymous = await http.GetAsync("/metrics");
        anonymous.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        anonymous.Headers.WwwAuthenticate.ToString().ShouldContain("Bearer");
        (await anonymous.Content.ReadAsStringAsync()).ShouldNotContain(PrometheusScrape.Token);

        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        wrong.Headers.Authorization = new("Bearer", PrometheusScrape.Token + "x");
        (await http.SendAsync(wrong)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        // A signed-in person's session is not a scraper's token.
        var person = await SignedUp("metrics-reader@example.com");
        (await person.GetAsync("/metrics")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        var scrape = await PrometheusScrape.ReadAsync(http);
        scrape.Types["catalyst_agent_tasks_queued"].ShouldBe("gauge");
        scrape.Types.Keys.ShouldContain(k => k.StartsWith("db_client_operation_duration", StringComparison.Ordinal));
        scrape.Types.Keys.ShouldContain(k => k.StartsWith("dotnet_", StringComparison.Ordinal));
    }

    [Fact]
    public async Task a_task_run_to_its_end_moves_each_counter_once()
    {
        using var http = Scraper();
        var client = await SignedUp("metrics@example.com");
        await client.CreateProjectAsync("metered", _sandbox.Origin);
        var credential = await client.AddScriptCredentialAsync(Store);
        var provider = ("provider", ScriptAgent.Name);
        var before = await PrometheusScrape.ReadAsync(http);

        var taskId = await client.StartTaskAsync("metered", credential, """
            echo "one"
            echo "two" >> README.md
            git commit -qam "Two"
            """);
        var task = await Store.WaitUntilFinishedAsync(taskId);
        task.Status.ShouldBe(AgentTaskStatus.Completed, task.Error);
        await Invoke<object[]>(new Catalyst.Contracts.LlmUsageMetered(taskId, "m", 1200, 300, 50, 0, 0.25m, DateTimeOffset.UtcNow));
        var logLines = (await Host.Services.LogsAsync(taskId)).Count;

        var after = await WaitForScrape(http, s => s.Value("catalyst_agent_tokens_total", provider) > before.Value("catalyst_agent_tokens_total", provider));
        Delta("catalyst_agent_tasks_created_total", provider, ("type", "feature-dev"), ("source", "manual")).ShouldBe(1);
        Delta("catalyst_agent_tasks_finished_total", provider, ("status", "completed")).ShouldBe(1);
        Delta("catalyst_agent_task_duration_seconds_count", provider, ("status", "completed")).ShouldBe(1);
        Delta("catalyst_agent_task_duration_seconds_sum", provider).ShouldBe((task.EndedAt!.Value - task.CreatedAt).TotalSeconds, 0.01);
        Delta("catalyst_agent_task_queue_wait_seconds_count", provider).ShouldBe(1);
        Delta("catalyst_agent_tokens_total", provider, ("kind", "input")).ShouldBe(1200);
        Delta("catalyst_agent_tokens_total", provider, ("kind", "output")).ShouldBe(300);
        Delta("catalyst_agent_tokens_total", provider, ("kind", "cache_read")).ShouldBe(50);
        Delta("catalyst_agent_cost_usd_total", provider).ShouldBe(0.25, 1e-9);
        Delta("catalyst_task_log_lines_total").ShouldBe(logLines);

        double Delta(string name, params (string, string)[] labels) => after.Value(name, labels) - before.Value(name, labels);
    }

    [Fact]
    public async Task gauges_show_the_running_task_and_the_database()
    {
        using var http = Scraper();
        var client = await SignedUp("gauges@example.com");
        await client.CreateProjectAsync("gauged", _sandbox.Origin);
        var credential = await client.AddScriptCredentialAsync(Store);
        // Runs until cancelled, so a slow sample on a loaded machine cannot miss it.
        var taskId = await client.StartTaskAsync("gauged", credential, "echo started; sleep 120");
        await Store.WaitForAsync(taskId, t => t.Status == AgentTaskStatus.Running);

        var running = await WaitForScrape(http, s => s.Value("catalyst_agent_task_oldest_age_seconds", ("status", "running")) > 0);
        running.Value("catalyst_agent_task_oldest_age_seconds", ("status", "running")).ShouldBeGreaterThan(0, await WhyNot(taskId, running));
        running.Value("catalyst_workspaces_running", ("backend", "local")).ShouldBe(1);
        running.Value("catalyst_database_up").ShouldBe(1);

        await client.PostFormAsync($"/projects/gauged/agents/{taskId}?handler=Cancel", new(), formPage: $"/projects/gauged/agents/{taskId}");
        await Store.WaitUntilFinishedAsync(taskId);
        var ended = await WaitForScrape(http, s => s.Value("catalyst_agent_task_oldest_age_seconds", ("status", "running")) == 0);
        ended.Value("catalyst_agent_task_oldest_age_seconds", ("status", "running")).ShouldBe(0);
        ended.Value("catalyst_workspaces_running", ("backend", "local")).ShouldBe(0);
    }

    [Fact]
    public async Task a_fact_whose_commit_fails_is_not_counted()
    {
        using var http = Scraper();
        var taskId = Guid.CreateVersion7();
        var created = new AgentTaskCreated(taskId, Guid.NewGuid(), "p", "bug-fix", TaskContext.Manual, "counted-once", "Counted once",
            Guid.NewGuid(), "c", "x", Guid.NewGuid(), DateTimeOffset.UtcNow, null, 60);
        var labels = new[] { ("provider", "counted-once") };
        var before = (await PrometheusScrape.ReadAsync(http)).Value("catalyst_agent_tasks_created_total", labels);

        await using (var first = Store.LightweightSession())
        {
            first.Events.StartStream<AgentTask>(taskId, created);
            await first.SaveChangesAsync();
        }
        // The same fact stored again (as a retried handler would try): the commit fails, and nothing is counted for it.
        await using (var again = Store.LightweightSession())
        {
            again.Events.StartStream<AgentTask>(taskId, created);
            await Should.ThrowAsync<Exception>(() => again.SaveChangesAsync());
        }

        (await PrometheusScrape.ReadAsync(http)).Value("catalyst_agent_tasks_created_total", labels).ShouldBe(before + 1);
    }

    [Fact]
    public async Task a_finished_task_is_one_trace_whose_id_is_the_task_id()
    {
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == TaskTraces.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { lock (spans) spans.Add(a); },
        };
        ActivitySource.AddActivityListener(listener);

        var client = await SignedUp("traced@example.com");
        await client.CreateProjectAsync("traced", _sandbox.Origin);
        var credential = await client.AddScriptCredentialAsync(Store);
        var taskId = await client.StartTaskAsync("traced", credential, "echo traced");
        var task = await Store.WaitUntilFinishedAsync(taskId);

        var traceId = taskId.ToString("N");
        var mine = await Eventually(() => { lock (spans) return spans.Where(s => s.TraceId.ToHexString() == traceId).ToList(); }, s => s.Count >= 4);
        var root = mine.Single(s => s.DisplayName == "agent_task");
        root.ParentSpanId.ShouldBe(default);
        root.StartTimeUtc.ShouldBe(task.CreatedAt.UtcDateTime);
        (root.StartTimeUtc + root.Duration).ShouldBe(task.EndedAt!.Value.UtcDateTime);
        root.GetTagItem("catalyst.task.status").ShouldBe("completed");
        foreach (var name in new[] { "agent_task.queue", "agent_task.workspace", "agent_task.run" })
            mine.Single(s => s.DisplayName == name).ParentSpanId.ShouldBe(root.SpanId);
        mine.Single(s => s.DisplayName == "agent_task.run").StartTimeUtc.ShouldBe(task.StartedAt!.Value.UtcDateTime);
    }

    /// <summary>What a failed gauge assertion needs to be understood: the task as stored and what the sampler logged.</summary>
    private async Task<string> WhyNot(Guid taskId, PrometheusScrape scrape)
    {
        await using var session = Store.QuerySession();
        var task = await session.LoadAsync<AgentTask>(taskId);
        var sampler = Fixture.Logs.Lines.Where(l => l.Contains(nameof(TaskGauges)));
        var gauges = Host.Services.GetRequiredService<TaskGauges>();
        return $"task {task?.Status} (started {task?.StartedAt:O}, now {DateTimeOffset.UtcNow:O}, error {task?.Error}); " +
            $"database_up {scrape.Value("catalyst_database_up")}; this Host's gauges: sampled {gauges.SampledAt:O}, up {gauges.DatabaseUp}, " +
            $"{string.Join(", ", gauges.OldestAges().Select(m => $"{m.Tags[0].Value}={m.Value}"))}; sampler said: {string.Join(" | ", sampler)}";
    }

    private static async Task<PrometheusScrape> WaitForScrape(HttpClient http, Func<PrometheusScrape, bool> condition)
    {
        return await Eventually(() => PrometheusScrape.ReadAsync(http), condition);
    }

    private static Task<T> Eventually<T>(Func<T> read, Func<T, bool> condition) => Eventually(() => Task.FromResult(read()), condition);

    private static async Task<T> Eventually<T>(Func<Task<T>> read, Func<T, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var value = await read();
            if (condition(value) || DateTime.UtcNow > deadline) return value;
            await Task.Delay(50);
        }
    }
}
