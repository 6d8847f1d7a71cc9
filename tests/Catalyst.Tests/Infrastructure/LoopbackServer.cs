using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Catalyst.Tests.Infrastructure;

/// <summary>A small real HTTP server on 127.0.0.1 that plays an outside service (GitHub, a model vendor) in tests.</summary>
public sealed class LoopbackServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LoopbackServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public string Url(string path) => new Uri(Address, path).ToString();

    /// <summary>Starts on a free port of 127.0.0.1; inside <paramref name="network"/> when given (reachable only from there).</summary>
    public static async Task<LoopbackServer> StartAsync(Action<WebApplication> map, NetworkNamespace? network = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var inside = network?.ListenOnLoopback();
        builder.WebHost.UseKestrel(o =>
        {
            if (inside is { } socket) o.ListenHandle(socket.Handle);
            else o.Listen(IPAddress.Loopback, 0);
        });
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        var address = inside is { } s
            ? $"http://127.0.0.1:{s.Port}/"
            : app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new LoopbackServer(app, new Uri(address.EndsWith('/') ? address : address + "/"));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
