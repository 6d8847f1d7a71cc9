using Catalyst.Contracts;
using Catalyst.Operator;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Workspaces;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Catalyst.Tests.Agents;

/// <summary>Catalyst:Workspaces:IsolateNetwork and Catalyst:Workspaces:NetworkNamespace: what the agent can reach (root only).</summary>
public sealed class workspaces_can_be_kept_off_the_network : IDisposable
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();

    public void Dispose() => _sandbox.Dispose();

    private async Task<IReadOnlyList<string>> RunAsync(LocalWorkspaceOptions options, string script)
    {
        var events = new PublishedEvents();
        var runner = new LocalWorkspaceRunner(_sandbox.Spec(Guid.NewGuid(), _sandbox.Agent(script)), WorkspaceSandbox.Credential(), options, events.Publish);
        var exited = await runner.RunAsync();
        exited.End.ShouldBe(WorkspaceEnd.Exited, exited.Error);
        exited.Result.ShouldNotBeNull().Commits.ShouldHaveSingleItem();
        return events.Text(OutputStream.Stdout).ToList();
    }

    private const string Probe = """
        echo "links: $(ip -o link show | awk -F': ' '{print $2}' | tr '\n' ' ')"
        curl -s -m 3 "$1" && echo || echo "unreachable"
        echo probe > PROBE.md && git add PROBE.md && git commit -qm "Probe"
        """;

    [Fact]
    public async Task an_isolated_workspace_has_only_loopback_and_reaches_nothing_outside_it()
    {
        if (!NetworkNamespace.Supported) { Assert.Skip("needs root and network namespaces"); return; }
        await using var outside = await LoopbackServer.StartAsync(app => app.MapGet("/", () => "reached"));
        var options = _sandbox.Options() with { IsolateNetwork = true };

        var lines = await RunAsync(options, Probe.Replace("\"$1\"", $"\"{outside.Address}\""));
        lines.ShouldContain("links: lo ");
        lines.ShouldContain("unreachable");
        lines.ShouldNotContain("reached");
    }

    [Fact]
    public async Task a_workspace_in_a_network_namespace_reaches_what_listens_there_and_nothing_else()
    {
        if (!NetworkNamespace.Supported) { Assert.Skip("needs root and network namespaces"); return; }
        using var network = NetworkNamespace.Create();
        await using var inside = await LoopbackServer.StartAsync(app => app.MapGet("/", () => "reached the model"), network);
        await using var outside = await LoopbackServer.StartAsync(app => app.MapGet("/", () => "reached the host"));
        var options = _sandbox.Options() with { NetworkNamespace = network.Path };

        var lines = await RunAsync(options, Probe.Replace("\"$1\"", $"\"{inside.Address}\"") + $"\ncurl -s -m 3 {outside.Address} || echo 'host unreachable'\n");
        lines.ShouldContain("reached the model");
        lines.ShouldContain("host unreachable");
        lines.ShouldNotContain("reached the host");
    }
}
