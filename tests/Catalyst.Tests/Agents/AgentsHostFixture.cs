using System.Net;
using Alba;
using Catalyst.Tasks.Domain;
using Catalyst.Tasks.Logs;
using Catalyst.Tests.Credentials;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Tasks;
using Catalyst.Tests.Workspaces;
using JasperFx.CommandLine;
using Marten;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Wolverine;

namespace Catalyst.Tests.Agents;

/// <summary>
/// The Host in memory with the built-in providers, the real Credentials module (and its broker) and the local workspace
/// backend, whose agents find the real CLIs (installed by scripts/install-agent-clis.sh, outside the repository) and
/// the Aider stand-in on their PATH. Every workspace runs in its sandbox, whose only network door is the broker, which
/// forwards to the tests' scripted model servers on 127.0.0.1: nothing the agents send can leave the machine.
/// </summary>
public sealed class AgentsHostFixture(TestDatabase database) : IAsyncLifetime
{
    public IAlbaHost Host { get; private set; } = null!;
    public string Connection { get; private set; } = "";
    public string StandIns { get; } = Directory.CreateTempSubdirectory("catalyst-stand-ins-").FullName;
    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), $"catalyst-agents-{Guid.NewGuid():N}");

    /// <summary>The loopback GitHub, for the GitHub loop run by a real CLI.</summary>
    public FakeGitHub GitHub { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        // The sandbox's user must be able to reach the stand-ins (a temp subdirectory is made 0700).
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(StandIns, (UnixFileMode)0b111_101_101);
        var aider = Path.Combine(StandIns, "aider");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Agents", "StandIns", "aider"), aider);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(aider, (UnixFileMode)0b111_101_101);

        var connection = await database.CreateDatabaseAsync("catalyst_agents");
        Connection = connection;
        GitHub = await FakeGitHub.StartAsync();
        JasperFxEnvironment.AutoStartHost = true;
        Host = await AlbaHost.For<Program>(web =>
        {
            web.UseEnvironment("Development");
            web.UseSetting("ConnectionStrings:Catalyst", connection);
            web.UseSetting("CATALYST_DATA_DIR", DataDirectory);
            web.UseSetting("Catalyst:Workspaces:StopGraceSeconds", "3");
            web.UseSetting("Catalyst:Workspaces:ToolDirectories", $"{StandIns}:{AgentClis.BinDirectory}");
            foreach (var (key, value) in TestSettings.Values) web.UseSetting(key, value);
            foreach (var (key, value) in GitHub.ApiSettings()) web.UseSetting(key, value);
            // The installed CLIs (their links point into the cache) and the stand-ins, read-only in each sandbox.
            web.UseSetting("Catalyst:Workspaces:SandboxReadOnlyPaths", $"{WorkspaceSandbox.AgentsDirectory}:{AgentClis.CacheDirectory}:{StandIns}");
            web.ConfigureServices(services =>
            {
                services.RunWolverineInSoloMode();
                services.DisableAllExternalWolverineTransports();
            });
        });
    }

    public IDocumentStore Store => Host.Services.GetRequiredService<IDocumentStore>();

    /// <summary>
    /// A scripted model server on the Host's loopback: the agents, in their sandboxes, reach it only through the broker.
    /// </summary>
    public Task<ScriptedModelServer> ModelAsync(ScriptedModelServer.Scenario scenario = ScriptedModelServer.Scenario.WriteAndCommit) =>
        ScriptedModelServer.StartAsync(scenario);

    public async ValueTask DisposeAsync()
    {
        if (Host is not null) await Host.DisposeAsync();
        if (GitHub is not null) await GitHub.DisposeAsync();
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
        try { Directory.Delete(StandIns, recursive: true); } catch (IOException) { }
    }
}

[CollectionDefinition("agents-host")]
public sealed class AgentsHostCollection : ICollectionFixture<AgentsHostFixture>;

/// <summary>A person with a project on a real git origin, ready to run a provider's agent against a scripted model.</summary>
[Collection("agents-host")]
public abstract class AgentTaskContext(AgentsHostFixture fixture) : IAsyncLifetime
{
    public const string Key = "sk-agent-7d3e91c04b2f4a8e9c1d";

    protected AgentsHostFixture Fixture { get; } = fixture;
    protected IAlbaHost Host => Fixture.Host;
    protected IDocumentStore Store => Fixture.Store;
    protected WorkspaceSandbox Sandbox { get; } = WorkspaceSandbox.Create();
    private PageClient? _client;

    /// <summary>The signed-up person's browser-less client, once <see cref="StartAsync"/> made it.</summary>
    protected PageClient Client => _client ?? throw new InvalidOperationException("Start a task first.");

    public async ValueTask InitializeAsync() => await Host.ResetDataAsync();

    public ValueTask DisposeAsync()
    {
        _client?.Dispose();
        Sandbox.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Signs up, creates the project "app" on the sandbox's origin, adds a credential and starts a task.</summary>
    protected async Task<Guid> StartAsync(string provider, ScriptedModelServer model, string? model_ = null, int timeoutSeconds = 120,
        string instructions = "Write AGENT_NOTES.md with a line of notes and commit it.", bool planFirst = false)
    {
        if (_client is null)
        {
            _client = new PageClient(Host.Server.CreateHandler());
            var signUp = await _client.PostFormAsync("/signup", new() { ["Email"] = $"dev-{Guid.NewGuid():N}@example.com", ["Password"] = "correct horse battery" });
            signUp.StatusCode.ShouldBe(HttpStatusCode.Redirect);
            await _client.CreateProjectAsync("app", Sandbox.Origin, timeoutSeconds);
        }
        // Anthropic's and Google's base URLs have no /v1; OpenAI-compatible ones end in it.
        var baseUrl = provider is "claude-code" or "gemini-cli" or "opencode" ? model.BaseUrl : model.OpenAiBaseUrl;
        var credential = await _client.AddCredentialAsync(Store, provider, Key, $"{provider}-{Guid.NewGuid():N}"[..30], baseUrl, model_);
        var response = await _client.PostFormAsync("/projects/app/agents/new", new()
        {
            ["Type"] = "feature-dev", ["Provider"] = provider, ["CredentialId"] = credential.ToString(), ["Instructions"] = instructions,
            ["PlanFirst"] = planFirst ? "true" : "false",
        });
        response.StatusCode.ShouldBe(HttpStatusCode.Redirect, await response.Content.ReadAsStringAsync());
        return Guid.Parse(response.Headers.Location!.ToString().Split('/').Last());
    }

    protected Task<AgentTask> FinishedAsync(Guid taskId, int seconds = 60) => Store.WaitUntilFinishedAsync(taskId, seconds);

    protected Task<IReadOnlyList<AgentTaskLog>> LogsAsync(Guid taskId) => Host.Services.LogsAsync(taskId);

    protected static string Describe(IEnumerable<AgentTaskLog> logs) =>
        string.Join("\n", logs.Select(l => $"{l.Sequence} {l.LevelName} {l.Kind} {(l.Message.Length > 300 ? l.Message[..300] + "…" : l.Message)}"));
}
