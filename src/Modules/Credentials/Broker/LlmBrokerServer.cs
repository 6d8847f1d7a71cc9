using System.Net;
using Catalyst.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Catalyst.Credentials;

/// <summary>Where the broker answers on this machine, once it has started: a loopback URL and a Unix socket.</summary>
public sealed class LlmBrokerEndpoint
{
    private Uri? _url;
    private string? _socket;

    public Uri Url => _url ?? throw new InvalidOperationException("The LLM broker has not started.");
    public string SocketPath => _socket ?? throw new InvalidOperationException("The LLM broker has not started.");

    /// <summary>The loopback URL, or null before the broker started.</summary>
    public Uri? UrlIfStarted => _url;

    internal void Started(Uri url, string socket) => (_url, _socket) = (url, socket);
}

/// <summary>
/// The broker's own small Kestrel server, apart from the app's: it listens on <c>Catalyst:Broker:Urls</c> (a free
/// loopback port by default) and on the Unix socket that local sandboxes get, and answers nothing but broker calls.
/// It logs nothing of its own: a request line would carry a token (Gemini's <c>?key=</c>).
/// </summary>
public sealed class LlmBrokerServer(IConfiguration configuration, LlmBroker broker, BrokerMetrics metrics, LlmBrokerEndpoint endpoint, ILogger<LlmBrokerServer> logger)
    : IHostedService, IAsyncDisposable
{
    public const string UrlsKey = "Catalyst:Broker:Urls";
    private WebApplication? _app;
    private string? _socket;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var urls = (configuration[UrlsKey] is { Length: > 0 } configured ? configured : "http://127.0.0.1:0")
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(u => new Uri(u)).ToList();
        _socket = BrokerPaths.Socket(configuration);
        var directory = Path.GetDirectoryName(_socket)!;
        Directory.CreateDirectory(directory);
        // Others may pass through the directory to the socket, not list it.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(directory, (UnixFileMode)0b111_001_001);
        if (File.Exists(_socket)) File.Delete(_socket); // left by a process that did not stop cleanly

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // The broker answers a larger body itself, in the vendor's shape.
            kestrel.Limits.MaxRequestBodySize = 64 * 1024 * 1024;
            foreach (var url in urls)
            {
                if (url.Scheme != "http") throw new InvalidOperationException($"{UrlsKey}: the broker serves plain http on this machine's own network, not {url}.");
                if (url.Host is "localhost") kestrel.Listen(IPAddress.Loopback, url.Port);
                else if (url.Host is "*" or "+" or "0.0.0.0") kestrel.ListenAnyIP(url.Port);
                else kestrel.Listen(IPAddress.Parse(url.Host.Trim('[', ']')), url.Port);
            }
            kestrel.ListenUnixSocket(_socket);
        });
        _app = builder.Build();
        _app.Use((context, next) => metrics.Measure(context, next));
        _app.Run(broker.HandleAsync);
        await _app.StartAsync(cancellationToken);

        // Sandboxed workspaces run as other users.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(_socket, (UnixFileMode)0b110_110_110);
        var addresses = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        var url = new Uri(addresses.First(a => !a.Contains("unix:", StringComparison.Ordinal)));
        endpoint.Started(new Uri(url.GetLeftPart(UriPartial.Authority)), _socket);
        logger.LogInformation("The LLM broker listens on {Url} and {Socket}", endpoint.Url, _socket);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null) await _app.StopAsync(cancellationToken);
        if (_socket is not null && File.Exists(_socket)) File.Delete(_socket);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
    }
}
