using System.Net;
using Catalyst.Contracts;
using Catalyst.Operator;
using Catalyst.Operator.Sandbox;
using Catalyst.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Catalyst.Tests.Workspaces;

/// <summary>A sandbox has no network but the broker's door and, when the project lists hosts, the egress proxy.</summary>
[Trait("Category", "Sandbox")]
public sealed class workspaces_reach_only_the_hosts_their_project_allows : IAsyncLifetime
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();
    private LoopbackServer _site = null!;

    public async ValueTask InitializeAsync() =>
        _site = await LoopbackServer.StartAsync(app => app.Run(http => http.Response.WriteAsync("hello from the allowed host")));

    public async ValueTask DisposeAsync()
    {
        await _site.DisposeAsync();
        _sandbox.Dispose();
    }

    private int SitePort => _site.Address.Port;

    [Fact]
    public async Task an_allowed_host_is_reached_through_the_proxy_and_a_refused_one_is_logged_on_the_task()
    {
        var agent = _sandbox.Agent($$"""
            curl -sS --max-time 10 --noproxy '' -x "$HTTP_PROXY" http://127.0.0.1:{{SitePort}}/; echo
            curl -sS --max-time 10 -o /dev/null https://example.com/ 2>&1; echo "refused rc=$?"
            """);
        var spec = _sandbox.Spec(Guid.NewGuid(), agent) with { EgressAllowList = [$"127.0.0.1:{SitePort}", "*.npmjs.org"] };
        var events = new PublishedEvents();

        var exited = await new LocalWorkspaceRunner(spec, WorkspaceSandbox.Credential(), _sandbox.Options(), events.Publish).RunAsync();

        exited.End.ShouldBe(WorkspaceEnd.Exited, exited.Error);
        var stdout = events.Text(OutputStream.Stdout).ToArray();
        stdout.ShouldContain("hello from the allowed host", string.Join("\n", events.Lines.Select(l => $"{l.Stream}: {l.Text}")));
        stdout.ShouldContain(l => l.StartsWith("refused rc=") && l != "refused rc=0");
        events.Text(OutputStream.SystemWarning).ShouldBe(["blocked egress to example.com:443"]);
    }

    [Fact]
    public async Task without_an_allow_list_nothing_but_the_broker_door_exists()
    {
        var agent = _sandbox.Agent($$"""
            echo "proxy=${HTTPS_PROXY:-none}"
            curl -sS --max-time 5 http://127.0.0.1:{{SitePort}}/ 2>&1 | head -1; echo "direct rc=${PIPESTATUS[0]}"
            curl -sS --max-time 5 -x http://127.0.0.1:8401 http://127.0.0.1:{{SitePort}}/ 2>&1 | head -1; echo "proxy rc=${PIPESTATUS[0]}"
            cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '
            """);
        var spec = _sandbox.Spec(Guid.NewGuid(), agent);
        var events = new PublishedEvents();

        var exited = await new LocalWorkspaceRunner(spec, WorkspaceSandbox.Credential(), _sandbox.Options(), events.Publish).RunAsync();

        exited.End.ShouldBe(WorkspaceEnd.Exited, exited.Error);
        var stdout = events.Text(OutputStream.Stdout).ToArray();
        stdout.ShouldContain("proxy=none");
        stdout.ShouldContain("direct rc=7");
        stdout.ShouldContain("proxy rc=7");
        // The sandbox's only network interface is its own loopback.
        stdout.Where(l => l is "lo" or "eth0").ShouldBe(["lo"]);
        stdout.ShouldNotContain("hello from the allowed host");
    }
}

public sealed class egress_allow_list_rules
{
    [Fact]
    public void names_wildcards_ports_and_written_out_addresses()
    {
        var allow = EgressAllowList.Parse(["registry.npmjs.org", "*.pypi.org", "git.example.com:22", "10.1.2.3:8080"]);

        allow.Allows("registry.npmjs.org", 443).ShouldBeTrue();
        allow.Allows("registry.npmjs.org", 80).ShouldBeTrue();
        allow.Allows("registry.npmjs.org", 8443).ShouldBeFalse();
        allow.Allows("files.pypi.org", 443).ShouldBeTrue();
        allow.Allows("pypi.org.evil.com", 443).ShouldBeFalse();
        allow.Allows("evilpypi.org", 443).ShouldBeFalse();
        allow.Allows("git.example.com", 22).ShouldBeTrue();
        allow.Allows("git.example.com", 443).ShouldBeFalse();
        allow.Allows("10.1.2.3", 8080).ShouldBeTrue();
        allow.Allows("10.1.2.4", 8080).ShouldBeFalse();
    }

    [Fact]
    public void a_name_that_resolves_inside_is_refused_unless_the_address_is_written_out()
    {
        var allow = EgressAllowList.Parse(["*.example.com", "127.0.0.1:5000"]);

        allow.AllowsAddress("rebind.example.com", 443, IPAddress.Parse("93.184.215.14")).ShouldBeTrue();
        allow.AllowsAddress("rebind.example.com", 443, IPAddress.Loopback).ShouldBeFalse();
        allow.AllowsAddress("rebind.example.com", 443, IPAddress.Parse("192.168.1.10")).ShouldBeFalse();
        allow.AllowsAddress("rebind.example.com", 443, IPAddress.Parse("169.254.169.254")).ShouldBeFalse();
        allow.AllowsAddress("127.0.0.1", 5000, IPAddress.Loopback).ShouldBeTrue();
    }

    [Fact]
    public void entries_that_are_not_hosts_are_refused_with_what_to_write()
    {
        var errors = new List<string>();
        EgressAllowList.Parse(["example.com:99999", "exa mple.com", "http://example.com/"], errors);

        errors.Count.ShouldBe(3);
        errors[0].ShouldContain("port must be a number from 1 to 65535");
        errors[1].ShouldContain("write a host name");
        errors[2].ShouldContain("not a URL");
    }
}
