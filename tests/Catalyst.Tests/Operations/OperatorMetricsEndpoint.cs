using Catalyst.Operator.Kubernetes;
using Catalyst.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Catalyst.Tests.Operations;

/// <summary>The operator's <c>/metrics</c> as its Program serves it (<see cref="OperatorMetrics.AddOperatorMetrics"/>), on a free loopback port.</summary>
public sealed class OperatorMetricsEndpoint : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly HttpClient _http;

    private OperatorMetricsEndpoint(IHost host, int port) =>
        (_host, _http) = (host, new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") });

    public static async Task<OperatorMetricsEndpoint> StartAsync()
    {
        var port = HostProcess.FreePort();
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Catalyst:Metrics:Urls"] = $"http://127.0.0.1:{port}" });
        builder.Services.AddOperatorMetrics(builder.Configuration);
        var host = builder.Build();
        await host.StartAsync();
        return new OperatorMetricsEndpoint(host, port);
    }

    public Task<PrometheusScrape> ReadAsync() => PrometheusScrape.ReadAsync(_http);

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _host.StopAsync();
        _host.Dispose();
    }
}
