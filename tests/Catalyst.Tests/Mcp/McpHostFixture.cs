using System.Net;
using Catalyst.Contracts;
using Catalyst.Providers.Catalogue;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Workspaces;
using JasperFx.CommandLine;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Wolverine;

namespace Catalyst.Tests.Mcp;

/// <summary>
/// The Host on a real Kestrel port (an MCP client speaks real HTTP), with the local workspace backend and one more agent
/// provider: a bash script playing an agent CLI, working on a real git origin in a sandbox.
/// </summary>
public sealed class McpHostFixture(TestDatabase database) : IAsyncLifetime
{
    public const string Provider = "script-agent";

    /// <summary>
    /// The agent: its instructions say what to do. "[wait-once PATH]": the first run waits to be cancelled, a later run
    /// finishes. "[warn]": also prints to stderr. Otherwise: a few steps, a commit, done.
    /// </summary>
    private const string AgentScript = """
        prompt="$1"
        marker=$(printf '%s' "$prompt" | sed -n 's/.*\[wait-once \([^]]*\)\].*/\1/p' | head -n 1)
        if [ -n "$marker" ] && [ ! -e "$marker" ]; then
          touch "$marker"
          echo "waiting to be cancelled"
          sleep 300
          exit 0
        fi
        echo "reading the README"
        for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo "step $i"; done
        case "$prompt" in *"[warn]"*) echo "something looks odd" >&2 ;; esac
        echo "agent change" >> README.md
        git commit --quiet -am "Agent change"
        echo "finished"
        """;

    private WebApplicationFactory<Program> _factory = null!;

    public WorkspaceSandbox Sandbox { get; } = WorkspaceSandbox.Create();
    public Uri BaseAddress { get; private set; } = null!;
    public IServiceProvider Services => _factory.Services;
    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), $"catalyst-mcp-data-{Guid.NewGuid():N}");

    public async ValueTask InitializeAsync()
    {
        var connection = await database.CreateDatabaseAsync("catalyst_mcp");
        var agent = Sandbox.Agent(AgentScript);
        JasperFxEnvironment.AutoStartHost = true;
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Development");
            web.UseSetting("ConnectionStrings:Catalyst", connection);
            web.UseSetting("CATALYST_DATA_DIR", DataDirectory);
            web.UseSetting("Catalyst:Workspaces:StopGraceSeconds", "3");
            foreach (var (key, value) in TestSettings.Values) web.UseSetting(key, value);
            web.ConfigureServices(services =>
            {
                services.RunWolverineInSoloMode();
                services.DisableAllExternalWolverineTransports();
                services.AddSingleton(new AgentProviderDefinition
                {
                    Name = Provider,
                    DisplayName = "Script agent",
                    Description = "A bash script playing an agent CLI",
                    Monogram = "Sa",
                    CredentialVariables = ["SCRIPT_AGENT_KEY"],
                    DefaultBaseUrl = "http://127.0.0.1:9/",
                    KeyCheck = new CredentialCheck("GET", "v1/models", new Dictionary<string, string> { ["x-api-key"] = "{key}" }),
                    Command = ["bash", agent, "{prompt}"],
                    OutputFormat = "text",
                });
            });
        });
        _factory.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        _factory.StartServer();
        BaseAddress = _factory.ClientOptions.BaseAddress;
        await Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        if (_factory is not null) await _factory.DisposeAsync();
        Sandbox.Dispose();
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
    }
}

[CollectionDefinition("mcp-host")]
public sealed class McpHostCollection : ICollectionFixture<McpHostFixture>;
