using System.Text.Json;
using System.Text.RegularExpressions;
using Catalyst.Credentials;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Tasks;
using Catalyst.Tests.Workspaces;
using Microsoft.Extensions.DependencyInjection;

namespace Catalyst.Tests.Operations;

public sealed partial class dashboards_and_alerts_use_only_exported_metrics(AppFixture fixture) : IntegrationContext(fixture), IDisposable
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();

    public void Dispose() => _sandbox.Dispose();

    public static string Root
    {
        get
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Catalyst.sln"))) directory = directory.Parent;
            return directory?.FullName ?? throw new InvalidOperationException("Catalyst.sln not found above the test binaries.");
        }
    }

    public static IEnumerable<string> DashboardExpressions()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "deploy/observability/catalyst-dashboard.json")));
        return dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .Select(t => t.GetProperty("expr").GetString()!)
            .ToList();
    }

    public static IEnumerable<string> AlertExpressions()
    {
        var lines = File.ReadAllLines(Path.Combine(Root, "deploy/observability/catalyst-alerts.yaml"));
        var expressions = lines.Select(l => ExprLine().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value.Trim()).ToList();
        expressions.ShouldNotContain(e => e == "|" || e == ">" || e.StartsWith("|-") || e.StartsWith(">-"),
            "alert expressions are kept on one line so that this test reads them");
        return expressions;
    }

    /// <summary>The metric names a PromQL expression reads: what is left once strings, selectors, ranges, functions and keywords are gone.</summary>
    public static IReadOnlySet<string> MetricsIn(string promql)
    {
        var rest = Quoted().Replace(promql, " ");
        rest = Braces().Replace(rest, " ");
        rest = Brackets().Replace(rest, " ");
        rest = Grouping().Replace(rest, " ");
        return Identifier().Matches(rest)
            .Where(m => !rest[(m.Index + m.Length)..].TrimStart().StartsWith('('))
            .Select(m => m.Value)
            .Where(name => !Keywords.Contains(name))
            .ToHashSet();
    }

    private static readonly HashSet<string> Keywords = ["and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right", "inf", "nan"];

    [Fact]
    public void the_promql_reader_finds_metrics_and_skips_functions_labels_and_keywords()
    {
        MetricsIn("""histogram_quantile(0.95, sum by (le) (rate(a_bucket{x="y_z"}[5m]))) > 300 and on (job) b_total offset 5m""")
            .ShouldBe(["a_bucket", "b_total"], ignoreOrder: true);
    }

    [Fact]
    public async Task every_metric_in_the_dashboard_and_the_alerts_is_one_the_host_exports()
    {
        // Make every labelled series exist: a task run to its end, its usage, a live-log client, a broker call.
        var client = await SignedUp("dashboards@example.com");
        await client.CreateProjectAsync("observed", _sandbox.Origin);
        var credential = await client.AddScriptCredentialAsync(Store);
        var taskId = await client.StartTaskAsync("observed", credential, "echo observed");
        await Store.WaitUntilFinishedAsync(taskId);
        await Invoke<object[]>(new Catalyst.Contracts.LlmUsageMetered(taskId, "m", 10, 5, 0, 0, 0.01m, DateTimeOffset.UtcNow));
        (await client.GetAsync($"/projects/observed/agents/{taskId}/events")).EnsureSuccessStatusCode();
        (await NewClient().SendAsync(FakeGitHub.Delivery("issue_comment", "{}", secret: null))).StatusCode.ShouldBe(System.Net.HttpStatusCode.Unauthorized);
        using (var broker = new HttpClient { BaseAddress = Host.Services.GetRequiredService<LlmBrokerEndpoint>().Url })
            await broker.PostAsync("/v1/messages", new StringContent("{}"));

        using var http = new HttpClient(Host.Server.CreateHandler()) { BaseAddress = new Uri("http://localhost") };
        PrometheusScrape scrape;
        var deadline = DateTime.UtcNow.AddSeconds(15);
        do scrape = await PrometheusScrape.ReadAsync(http);
        while (!scrape.Has("catalyst_agent_tokens_total") && DateTime.UtcNow < deadline && await Delay());
        var exported = scrape.Samples.Select(s => s.Name).Concat(scrape.Types.Keys).ToHashSet();
        // The operator's metrics come from the operator process's own /metrics (the Kubernetes backend).
        var fromOperator = await OperatorExportsAsync();
        exported.UnionWith(fromOperator);

        var used = DashboardExpressions().Concat(AlertExpressions()).SelectMany(MetricsIn).ToHashSet();
        used.ShouldContain("catalyst_agent_tasks_finished_total");
        used.ShouldContain("catalyst_operator_leader");
        used.Where(name => !exported.Contains(name)).ShouldBeEmpty("metrics the dashboard or the alerts read that the Host does not export");
    }

    /// <summary>What the operator exports once a replica leads and has reconciled an Environment.</summary>
    private static async Task<HashSet<string>> OperatorExportsAsync()
    {
        await using var metrics = await OperatorMetricsEndpoint.StartAsync();
        await using var server = await Kubernetes.OperatorHarness.StartClusterAsync(o => o.RunPods = false);
        using var cluster = server.CreateClient();
        await using var replica = new Kubernetes.OperatorReplica(server, "dashboards-operator");
        await replica.StartAsync();
        await Kubernetes.OperatorHarness.CreateExampleAsync(cluster);
        PrometheusScrape scrape;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        do scrape = await metrics.ReadAsync();
        while (!scrape.Has("catalyst_operator_reconcile_duration_seconds_count") && DateTime.UtcNow < deadline && await Delay());
        return scrape.Samples.Select(s => s.Name).Concat(scrape.Types.Keys).ToHashSet();
    }

    private static async Task<bool> Delay()
    {
        await Task.Delay(100);
        return true;
    }

    [GeneratedRegex(@"^\s*expr:\s*(.+)$")]
    private static partial Regex ExprLine();
    [GeneratedRegex(@"""(?:[^""\\]|\\.)*""|'(?:[^'\\]|\\.)*'")]
    private static partial Regex Quoted();
    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Braces();
    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Brackets();
    [GeneratedRegex(@"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex Grouping();
    [GeneratedRegex(@"(?<![0-9.])\b[a-zA-Z_:][a-zA-Z0-9_:]*")]
    private static partial Regex Identifier();
}
