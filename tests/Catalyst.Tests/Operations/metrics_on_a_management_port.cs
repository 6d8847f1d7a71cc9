using System.Net;
using Catalyst.Tests.Infrastructure;

namespace Catalyst.Tests.Operations;

/// <summary>The Host as the README runs it, with <c>Catalyst__Metrics__Urls</c>: metrics on a port of their own, and only metrics there.</summary>
[Trait("Category", "Hosting")]
public sealed class metrics_on_a_management_port : IAsyncLifetime
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), $"catalyst-metrics-{Guid.NewGuid():N}"[..30]);

    [Fact]
    public async Task the_management_port_answers_metrics_and_nothing_else_and_the_app_port_no_metrics()
    {
        var (app, management) = (HostProcess.FreePort(), HostProcess.FreePort());
        await using var host = await HostProcess.StartAsync(_dataDirectory, app,
            new Dictionary<string, string> { ["Catalyst__Metrics__Urls"] = $"http://127.0.0.1:{management}" });
        using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });

        var metrics = await http.GetAsync($"http://127.0.0.1:{management}/metrics");
        metrics.StatusCode.ShouldBe(HttpStatusCode.OK, host.Output);
        var scrape = PrometheusScrape.Parse(await metrics.Content.ReadAsStringAsync());
        scrape.Types.ShouldContainKey("catalyst_agent_tasks_queued");

        (await http.GetAsync($"http://127.0.0.1:{management}/")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await http.GetAsync($"http://127.0.0.1:{management}/signin")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await http.GetAsync($"http://127.0.0.1:{management}/health")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await http.GetAsync($"http://127.0.0.1:{app}/metrics")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await http.GetAsync($"http://127.0.0.1:{app}/health")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await http.GetAsync($"http://127.0.0.1:{app}/signin")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync()
    {
        try { Directory.Delete(_dataDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        return ValueTask.CompletedTask;
    }
}
