using System.Net;
using Alba;
using Catalyst.Contracts;
using Catalyst.Providers.Catalogue;
using Catalyst.Tests.Infrastructure;
using JasperFx.CommandLine;
using Marten;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Wolverine;

namespace Catalyst.Tests.CliInstalls;

/// <summary>
/// The Host in memory with the local backend installing agent CLIs from a loopback npm registry and Python package
/// index into <c>&lt;data dir&gt;/agent-clis</c> (the default), and test providers whose CLIs exist only there.
/// </summary>
public sealed class CliInstallsHostFixture(TestDatabase database) : IAsyncLifetime
{
    public const string Version = "1.0.0";

    /// <summary>The agent every stand-in plays: a line on stdout, a file committed.</summary>
    public const string AgentScript = """
        set -eu
        echo "installed agent at work"
        echo "notes by the installed agent" > AGENT_NOTES.md
        git add AGENT_NOTES.md
        git commit -qm "Add notes from the installed agent"
        """;

    public IAlbaHost Host { get; private set; } = null!;
    public FakeNpmRegistry Npm { get; private set; } = null!;
    public FakePackageIndex PyPI { get; private set; } = null!;
    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), $"catalyst-installs-{Guid.NewGuid():N}");
    public string CliCache => Path.Combine(DataDirectory, "agent-clis");

    /// <summary>Installed on first use, then reused.</summary>
    public static readonly AgentProviderDefinition NpmAgent = Provider("npm-agent", new InstallSpec("npm", "fake-npm-agent", Version, "fake-npm-agent"));

    /// <summary>Two tasks ask for it at once; its tarball is slow to come.</summary>
    public static readonly AgentProviderDefinition ScopedAgent = Provider("scoped-agent", new InstallSpec("npm", "@catalyst-test/slow-agent", Version, "slow-agent"));

    /// <summary>Its install is cancelled halfway.</summary>
    public static readonly AgentProviderDefinition StuckAgent = Provider("stuck-agent", new InstallSpec("npm", "stuck-agent", Version, "stuck-agent"));

    /// <summary>Its install takes longer than the project's time limit.</summary>
    public static readonly AgentProviderDefinition LateAgent = Provider("late-agent", new InstallSpec("npm", "late-agent", Version, "late-agent"));

    /// <summary>The registry has never heard of it.</summary>
    public static readonly AgentProviderDefinition MissingAgent = Provider("missing-agent", new InstallSpec("npm", "no-such-agent", "9.9.9", "no-such-agent"));

    /// <summary>A Python CLI, installed into a venv.</summary>
    public static readonly AgentProviderDefinition PipAgent = Provider("pip-agent", new InstallSpec("pip", "fake-pip-agent", Version, "fake-pip-agent"));

    private static AgentProviderDefinition Provider(string name, InstallSpec install) => new()
    {
        Name = name,
        DisplayName = name,
        Description = "An agent CLI installed on first use (tests only).",
        Monogram = "IA",
        Order = 950,
        Install = install,
        CredentialVariables = ["INSTALLED_AGENT_KEY"],
        DefaultBaseUrl = "http://127.0.0.1:9",
        KeyCheck = new CredentialCheck("GET", "v1/models", new Dictionary<string, string> { ["x-api-key"] = "{key}" }),
        Command = [install.Binary, "{prompt_file}"],
        OutputFormat = "text",
    };

    public async ValueTask InitializeAsync()
    {
        Npm = await FakeNpmRegistry.StartAsync();
        Npm.PublishScript("fake-npm-agent", Version, "fake-npm-agent", AgentScript);
        Npm.PublishScript("@catalyst-test/slow-agent", Version, "slow-agent", AgentScript);
        Npm.PublishScript("stuck-agent", Version, "stuck-agent", AgentScript);
        Npm.PublishScript("late-agent", Version, "late-agent", AgentScript);
        PyPI = await FakePackageIndex.StartAsync();
        PyPI.PublishScript("fake-pip-agent", Version, "fake-pip-agent", """
            import pathlib, subprocess

            def main():
                print("installed agent at work", flush=True)
                pathlib.Path("AGENT_NOTES.md").write_text("notes by the installed agent\n")
                subprocess.run(["git", "add", "AGENT_NOTES.md"], check=True)
                subprocess.run(["git", "commit", "-qm", "Add notes from the installed agent"], check=True)
            """);

        var connection = await database.CreateDatabaseAsync("catalyst_installs");
        JasperFxEnvironment.AutoStartHost = true;
        Host = await AlbaHost.For<Program>(web =>
        {
            web.UseEnvironment("Development");
            web.UseSetting("ConnectionStrings:Catalyst", connection);
            web.UseSetting("CATALYST_DATA_DIR", DataDirectory);
            web.UseSetting("Catalyst:Workspaces:StopGraceSeconds", "3");
            web.UseSetting("Catalyst:Workspaces:NpmRegistry", Npm.Url);
            web.UseSetting("Catalyst:Workspaces:PipIndexUrl", PyPI.Url);
            foreach (var (key, value) in TestSettings.Values) web.UseSetting(key, value);
            web.ConfigureServices(services =>
            {
                foreach (var provider in new[] { NpmAgent, ScopedAgent, StuckAgent, LateAgent, MissingAgent, PipAgent }) services.AddSingleton(provider);
                services.RunWolverineInSoloMode();
                services.DisableAllExternalWolverineTransports();
            });
        });
    }

    public IDocumentStore Store => Host.Services.GetRequiredService<IDocumentStore>();

    public async ValueTask DisposeAsync()
    {
        if (Host is not null) await Host.DisposeAsync();
        if (Npm is not null) await Npm.DisposeAsync();
        if (PyPI is not null) await PyPI.DisposeAsync();
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
    }
}

[CollectionDefinition("cli-installs-host")]
public sealed class CliInstallsHostCollection : ICollectionFixture<CliInstallsHostFixture>;
