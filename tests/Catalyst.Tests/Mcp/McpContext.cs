using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Catalyst.Tests.Credentials;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Tasks;
using Catalyst.Tests.Workspaces;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Catalyst.Tests.Mcp;

/// <summary>
/// MCP over real HTTP: the Host on the browser fixture's Kestrel port, the official MCP C# client, a personal API token
/// made through the tokens page. Each test signs up its own people, so tests do not see each other's data.
/// Tasks run the script agent (its instructions are a bash script) on a git origin in a sandbox.
/// </summary>
[Collection("browser")]
public abstract partial class McpContext(BrowserFixture fixture) : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly List<IDisposable> _browsers = [];

    protected BrowserFixture Fixture { get; } = fixture;
    protected WorkspaceSandbox Sandbox { get; } = WorkspaceSandbox.Create();

    [GeneratedRegex("<pre class=\"secret\" id=\"new-token\">(cat_[A-Za-z0-9_-]+)</pre>")]
    private static partial Regex ShownToken();

    /// <summary>Someone who signed up in the web app and made a personal API token there.</summary>
    protected sealed record Person(string Email, PageClient Browser, string Token);

    protected async Task<Person> SignedUpWithToken(string? name = null)
    {
        var email = $"{name ?? "user"}-{Guid.NewGuid():N}@example.com";
        var browser = NewPageClient();
        var signup = await browser.PostFormAsync("/signup", new() { ["Email"] = email, ["Password"] = "correct horse battery" });
        signup.StatusCode.ShouldBe(HttpStatusCode.Redirect, await signup.Content.ReadAsStringAsync());
        var created = await browser.PostFormAsync("/settings/tokens?handler=Create", new() { ["Name"] = "mcp test" }, formPage: "/settings/tokens");
        var html = await created.Content.ReadAsStringAsync();
        created.StatusCode.ShouldBe(HttpStatusCode.OK, html);
        var token = ShownToken().Match(html).Groups[1].Value;
        token.ShouldNotBeNullOrEmpty();
        return new Person(email, browser, token);
    }

    protected PageClient NewPageClient()
    {
        var client = new PageClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }, Fixture.BaseAddress);
        _browsers.Add(client);
        return client;
    }

    protected Uri McpEndpoint => new(Fixture.BaseAddress, "/mcp");

    protected async Task<McpClient> Connect(string token)
    {
        var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var transport = new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = McpEndpoint,
            TransportMode = HttpTransportMode.StreamableHttp,
            Name = "catalyst-tests",
        }, http, ownsHttpClient: true);
        var client = await McpClient.CreateAsync(transport, cancellationToken: TestContext.Current.CancellationToken);
        _owned.Add(client);
        return client;
    }

    protected async Task<McpClient> Connect(Person person) => await Connect(person.Token);

    /// <summary>A successful call: its structured content, which must say the same as its text.</summary>
    protected static async Task<JsonElement> Call(McpClient client, string tool, Dictionary<string, object?>? arguments = null)
    {
        var result = await client.CallToolAsync(tool, arguments ?? [], cancellationToken: TestContext.Current.CancellationToken);
        var text = Text(result);
        (result.IsError ?? false).ShouldBeFalse($"{tool} answered an error: {text}");
        result.StructuredContent.ShouldNotBeNull($"{tool} answered without structured content");
        var structured = result.StructuredContent.Value;
        JsonSerializer.Serialize(JsonDocument.Parse(text).RootElement).ShouldBe(JsonSerializer.Serialize(structured));
        return structured;
    }

    /// <summary>A call that must fail as a tool error (isError), not a protocol error: its message.</summary>
    protected static async Task<string> CallFails(McpClient client, string tool, Dictionary<string, object?>? arguments = null)
    {
        var result = await client.CallToolAsync(tool, arguments ?? [], cancellationToken: TestContext.Current.CancellationToken);
        (result.IsError ?? false).ShouldBeTrue($"{tool} should have failed but answered: {Text(result)}");
        return Text(result);
    }

    protected static string Text(CallToolResult result) => string.Concat(result.Content.OfType<TextContentBlock>().Select(c => c.Text));

    protected async Task<string> NewProject(McpClient client, string? slug = null)
    {
        slug ??= $"p-{Guid.NewGuid():N}"[..20];
        await Call(client, "create_project", new()
        {
            ["name"] = $"Project {slug}",
            ["slug"] = slug,
            ["repository_url"] = "https://example.com/acme/app.git",
        });
        return slug;
    }

    /// <summary>A credential added the way a person adds one: the form under Agent credentials.</summary>
    protected async Task<(Guid Id, string Key)> AddCredential(Person person, string label = "work")
    {
        var key = FakeModelVendor.NewKey("sk-script-");
        return (await person.Browser.AddScriptCredentialAsync(Fixture.Services.GetRequiredService<IDocumentStore>(), key, label), key);
    }

    /// <summary>A project on the sandbox's git origin, where the script agent can clone and push.</summary>
    protected async Task<string> NewRepositoryProject(McpClient client)
    {
        var slug = $"r-{Guid.NewGuid():N}"[..20];
        await Call(client, "create_project", new() { ["name"] = $"Repository {slug}", ["slug"] = slug, ["repository_url"] = Sandbox.Origin });
        return slug;
    }

    /// <summary>Starts a script-agent task over MCP: <paramref name="script"/> is what the agent does in the clone.</summary>
    protected static async Task<Guid> StartTask(McpClient client, string project, string script, string credential = "work")
    {
        var created = await Call(client, "create_agent_task", new()
        {
            ["project"] = project,
            ["type"] = "feature-dev",
            ["instructions"] = script,
            ["provider"] = ScriptAgent.Name,
            ["credential"] = credential,
        });
        created.GetProperty("status").GetString().ShouldBe("pending");
        created.GetProperty("project").GetString().ShouldBe(project);
        return created.GetProperty("task_id").GetGuid();
    }

    protected static async Task<JsonElement> GetTask(McpClient client, Guid taskId) =>
        (await Call(client, "get_agent_task", new() { ["task_id"] = taskId.ToString() })).GetProperty("task");

    /// <summary>Asks get_agent_task until the task is in one of the statuses (or fails the test after a minute).</summary>
    protected static async Task<JsonElement> WaitForStatus(McpClient client, Guid taskId, params string[] statuses)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var task = await GetTask(client, taskId);
            var status = task.GetProperty("status").GetString();
            if (statuses.Contains(status)) return task;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Task {taskId} is still {status} (error: {task.GetProperty("error")}); expected {string.Join(" or ", statuses)}.");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    public virtual async ValueTask DisposeAsync()
    {
        foreach (var owned in _owned) await owned.DisposeAsync();
        foreach (var browser in _browsers) browser.Dispose();
        Sandbox.Dispose();
        GC.SuppressFinalize(this);
    }
}
