using System.Net;
using Alba;
using Catalyst.Tests.Infrastructure;
using JasperFx.CommandLine;
using Microsoft.AspNetCore.Hosting;
using Wolverine;

namespace Catalyst.Tests.Sandbox;

/// <summary>Where the sandbox cannot run the Host refuses to run agents, unless told explicitly; then admins are warned on every page.</summary>
[Collection("integration")]
public sealed class the_host_runs_agents_only_in_a_sandbox(TestDatabase database) : IDisposable
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), $"catalyst-sandbox-{Guid.NewGuid():N}");

    public void Dispose()
    {
        try { Directory.Delete(_dataDirectory, recursive: true); } catch (IOException) { }
    }

    private async Task<IAlbaHost> StartHost(params (string Key, string Value)[] settings)
    {
        var connection = await database.CreateDatabaseAsync("catalyst_sandbox");
        JasperFxEnvironment.AutoStartHost = true;
        return await AlbaHost.For<Program>(web =>
        {
            web.UseEnvironment("Development");
            web.UseSetting("ConnectionStrings:Catalyst", connection);
            web.UseSetting("CATALYST_DATA_DIR", _dataDirectory);
            foreach (var (key, value) in TestSettings.Values) web.UseSetting(key, value);
            foreach (var (key, value) in settings) web.UseSetting(key, value);
            web.ConfigureServices(services =>
            {
                services.RunWolverineInSoloMode();
                services.DisableAllExternalWolverineTransports();
            });
        });
    }

    [Fact]
    public async Task without_bubblewrap_the_host_does_not_start_and_says_what_to_install()
    {
        var failure = await Should.ThrowAsync<Exception>(() => StartHost(("Catalyst:Workspaces:Bubblewrap", "/nonexistent/bwrap")));

        var message = failure.ToString();
        message.ShouldContain("The local workspace backend cannot start: Workspace sandboxes need bubblewrap");
        message.ShouldContain("apt-get install bubblewrap socat");
        message.ShouldContain("Catalyst__Workspaces__Sandbox=off");
    }

    [Fact]
    public async Task with_the_sandbox_off_admins_see_on_every_page_that_workspaces_are_not_isolated()
    {
        await using var host = await StartHost(("Catalyst:Workspaces:Sandbox", "off"), ("Catalyst:Workspaces:Bubblewrap", "/nonexistent/bwrap"));
        using var admin = new PageClient(host.Server.CreateHandler());
        using var member = new PageClient(host.Server.CreateHandler());
        (await admin.PostFormAsync("/signup", new() { ["Email"] = "admin@example.com", ["Password"] = "a long password" })).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await member.PostFormAsync("/signup", new() { ["Email"] = "member@example.com", ["Password"] = "a long password" })).StatusCode.ShouldBe(HttpStatusCode.Redirect);

        foreach (var page in new[] { "/projects", "/settings/agents", "/settings/tokens" })
        {
            (await admin.GetHtmlAsync(page)).ShouldContain("Workspaces are not isolated.");
            (await member.GetHtmlAsync(page)).ShouldNotContain("Workspaces are not isolated.");
        }
    }
}
