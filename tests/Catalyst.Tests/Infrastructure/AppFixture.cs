using Alba;
using JasperFx.CommandLine;
using Marten;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Wolverine;

namespace Catalyst.Tests.Infrastructure;

/// <summary>The Host in memory (Alba), on its own database of the shared PostgreSQL.</summary>
public sealed class AppFixture(TestDatabase database) : IAsyncLifetime
{
    public IAlbaHost Host { get; private set; } = null!;
    public FakeGitHub GitHub { get; private set; } = null!;
    public FakeModelVendor Vendor { get; private set; } = null!;
    public FakeSmtpServer Smtp { get; } = FakeSmtpServer.Start();

    /// <summary>Every line the host logs, at every level; cleared before each test.</summary>
    public CapturedLogs Logs { get; } = new();
    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), $"catalyst-test-data-{Guid.NewGuid():N}");

    public async ValueTask InitializeAsync()
    {
        var connection = await database.CreateDatabaseAsync("catalyst_alba");
        GitHub = await FakeGitHub.StartAsync();
        Vendor = await FakeModelVendor.StartAsync();
        JasperFxEnvironment.AutoStartHost = true;
        Host = await AlbaHost.For<Program>(web =>
        {
            web.UseEnvironment("Development");
            web.UseSetting("ConnectionStrings:Catalyst", connection);
            web.UseSetting("CATALYST_DATA_DIR", DataDirectory);
            foreach (var (key, value) in GitHub.OAuthSettings()) web.UseSetting(key, value);
            foreach (var (key, value) in GitHub.ApiSettings()) web.UseSetting(key, value);
            foreach (var (key, value) in TestSettings.Values) web.UseSetting(key, value);
            foreach (var (key, value) in Smtp.Settings()) web.UseSetting(key, value);
            web.ConfigureLogging(logging =>
            {
                logging.AddProvider(Logs);
                logging.AddFilter<CapturedLogs>(null, LogLevel.Trace);
            });
            web.ConfigureServices(services =>
            {
                services.AddSingleton(ScriptAgent.Definition);
                services.RunWolverineInSoloMode();
                services.DisableAllExternalWolverineTransports();
            });
        });
    }

    public IDocumentStore Store => Host.Services.GetRequiredService<IDocumentStore>();

    public async ValueTask DisposeAsync()
    {
        if (Host is not null) await Host.DisposeAsync();
        if (GitHub is not null) await GitHub.DisposeAsync();
        if (Vendor is not null) await Vendor.DisposeAsync();
        await Smtp.DisposeAsync();
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Settings every test host gets; tests of optional features (GitHub sign-in) add theirs here before the host starts.</summary>
public static class TestSettings
{
    public static readonly Dictionary<string, string?> Values = new()
    {
        // A key test against a server that never answers gives up quickly.
        ["Catalyst:CredentialTestTimeoutSeconds"] = "1.5",
        // The tests' agent scripts, read-only in every workspace's sandbox.
        ["Catalyst:Workspaces:SandboxReadOnlyPaths"] = Catalyst.Tests.Workspaces.WorkspaceSandbox.AgentsDirectory,
        // The tests' origin repositories are made under the temp directory.
        ["Catalyst:Projects:LocalRepositoryRoots"] = Path.GetTempPath(),
        // Two test runs on one machine (two checkouts) must not hand the same sandbox user to two workspaces.
        ["Catalyst:Workspaces:SandboxUidBase"] = Environment.GetEnvironmentVariable("CATALYST_TEST_UID_BASE"),
        // /metrics on the app's port to this bearer token; gauges read the database often enough for a test to see them move.
        ["Catalyst:Metrics:Token"] = Catalyst.Tests.Operations.PrometheusScrape.Token,
        ["Catalyst:Metrics:SampleSeconds"] = "0.2",
        // The tests' webhook receivers listen on loopback, which webhooks may not reach unless an admin allows the host.
        ["Catalyst:Notifications:AllowedWebhookHosts"] = "localhost",
    };
}

[CollectionDefinition("integration")]
public sealed class IntegrationCollection : ICollectionFixture<AppFixture>;

/// <summary>Base for integration tests: a clean database before each test and a cookie-keeping browser-like client.</summary>
[Collection("integration")]
public abstract class IntegrationContext(AppFixture fixture) : IAsyncLifetime
{
    protected AppFixture Fixture { get; } = fixture;
    protected IAlbaHost Host => Fixture.Host;
    protected IDocumentStore Store => Fixture.Store;

    public virtual async ValueTask InitializeAsync()
    {
        await Host.ResetDataAsync();
        Fixture.Logs.Clear();
    }

    public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;

    protected PageClient NewClient() => new(Host.Server.CreateHandler());

    /// <summary>Sends a message in process the way another module does, and answers the handler's reply.</summary>
    protected async Task<T> Invoke<T>(object message)
    {
        using var scope = Host.Services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<IMessageBus>().InvokeAsync<T>(message);
    }

    /// <summary>What a workspace backend asks for when it starts a task's workspace: a task token for the broker, or null.</summary>
    protected async Task<Catalyst.Contracts.TaskAccess?> IssueToken(Guid credentialId, Guid taskId, string provider = "claude-code")
    {
        var info = await Invoke<Catalyst.Contracts.AgentProviderInfo?>(new Catalyst.Contracts.GetAgentProvider(provider));
        return await Invoke<Catalyst.Contracts.TaskAccess?>(new Catalyst.Contracts.IssueTaskToken(taskId, credentialId, info!));
    }

    protected async Task<Guid> UserId(string email)
    {
        await using var session = Store.QuerySession();
        var normalised = email.Trim().ToLowerInvariant();
        return (await session.Query<Catalyst.Host.Accounts.CatalystUser>().SingleAsync(u => u.Email == normalised)).Id;
    }

    /// <summary>A signed-up, signed-in person.</summary>
    protected async Task<PageClient> SignedUp(string email, string password = "correct horse battery")
    {
        var client = NewClient();
        var response = await client.PostFormAsync("/signup", new() { ["Email"] = email, ["Password"] = password });
        response.StatusCode.ShouldBe(System.Net.HttpStatusCode.Redirect, await response.Content.ReadAsStringAsync());
        return client;
    }
}
