using System.Net;
using Catalyst.Contracts;
using Catalyst.Operator.Sandbox;
using Catalyst.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace Catalyst.Tests.Workspaces;

/// <summary>
/// The egress proxy on a TCP port (a cluster's Host): each request's Proxy-Authorization picks the grant, and the
/// credentials stay with the proxy: the origin never sees them.
/// </summary>
public sealed class a_shared_egress_proxy_asks_for_the_tasks_credentials : IAsyncLifetime
{
    private LoopbackServer _site = null!;
    private EgressProxy _proxy = null!;
    private readonly List<string> _refused = [];
    private readonly List<string?> _asked = [];

    public async ValueTask InitializeAsync()
    {
        _site = await LoopbackServer.StartAsync(app => app.Run(http =>
            http.Response.WriteAsync($"proxy-authorization={(http.Request.Headers.ProxyAuthorization.Count == 0 ? "none" : http.Request.Headers.ProxyAuthorization.ToString())}")));
        var grant = new EgressGrant(EgressAllowList.Parse([$"127.0.0.1:{_site.Address.Port}"]), refused => { lock (_refused) _refused.Add(refused); return ValueTask.CompletedTask; });
        _proxy = EgressProxy.StartTcp(new IPEndPoint(IPAddress.Loopback, 0), (authorization, _) =>
        {
            lock (_asked) _asked.Add(authorization);
            return ValueTask.FromResult(authorization == "Basic dGFzazpzZWNyZXQ=" ? grant : null);
        }, NullLogger.Instance);
    }

    public async ValueTask DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _site.DisposeAsync();
    }

    private HttpClient Through(NetworkCredential? credentials) => new(new HttpClientHandler
    {
        Proxy = new WebProxy($"http://127.0.0.1:{_proxy.EndPoint!.Port}") { Credentials = credentials },
        UseProxy = true,
        PreAuthenticate = true,
    });

    [Fact]
    public async Task the_right_credentials_reach_an_allowed_host_without_passing_the_credentials_on()
    {
        using var client = Through(new NetworkCredential("task", "secret"));

        var answer = await client.GetStringAsync($"http://127.0.0.1:{_site.Address.Port}/", TestContext.Current.CancellationToken);

        answer.ShouldBe("proxy-authorization=none");
        _asked.ShouldContain("Basic dGFzazpzZWNyZXQ=");
    }

    [Fact]
    public async Task wrong_or_missing_credentials_get_407_and_a_host_off_the_list_403()
    {
        using (var stranger = Through(new NetworkCredential("task", "guessed")))
            (await stranger.GetAsync($"http://127.0.0.1:{_site.Address.Port}/", TestContext.Current.CancellationToken)).StatusCode
                .ShouldBe(HttpStatusCode.ProxyAuthenticationRequired);
        using (var anonymous = Through(null))
            (await anonymous.GetAsync($"http://127.0.0.1:{_site.Address.Port}/", TestContext.Current.CancellationToken)).StatusCode
                .ShouldBe(HttpStatusCode.ProxyAuthenticationRequired);
        _refused.ShouldBeEmpty("a request without the task's credentials is no refusal of the task's");

        using var client = Through(new NetworkCredential("task", "secret"));
        (await client.GetAsync("http://127.0.0.1:9/", TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        _refused.ShouldBe(["blocked egress to 127.0.0.1:9"]);
    }

    [Fact]
    public async Task a_host_that_stops_it_from_two_places_at_once_stops_it_once_without_an_error()
    {
        // A Host stopping disposes it through its hosted service and through the container, possibly together.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => _proxy.DisposeAsync().AsTask()));
        using var client = Through(new NetworkCredential("task", "secret"));
        await Should.ThrowAsync<HttpRequestException>(() => client.GetAsync($"http://127.0.0.1:{_site.Address.Port}/", TestContext.Current.CancellationToken));
    }
}
