using System.Net;
using JasperFx.CommandLine;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Wolverine;

namespace Catalyst.Tests.Infrastructure;

/// <summary>The Host on a real Kestrel port, its own database, and a headless Chromium driven by Playwright.</summary>
public sealed class BrowserFixture(TestDatabase database) : IAsyncLifetime
{
    private WebApplicationFactory<Program> _factory = null!;
    private IPlaywright _playwright = null!;

    public IBrowser Browser { get; private set; } = null!;
    public Uri BaseAddress { get; private set; } = null!;
    public IServiceProvider Services => _factory.Services;
    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), $"catalyst-e2e-data-{Guid.NewGuid():N}");

    public async ValueTask InitializeAsync()
    {
        var connection = await database.CreateDatabaseAsync("catalyst_e2e");
        JasperFxEnvironment.AutoStartHost = true;
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Development");
            web.UseSetting("ConnectionStrings:Catalyst", connection);
            web.UseSetting("CATALYST_DATA_DIR", DataDirectory);
            foreach (var (key, value) in TestSettings.Values) web.UseSetting(key, value);
            web.ConfigureServices(services =>
            {
                services.AddSingleton(ScriptAgent.Definition);
                services.RunWolverineInSoloMode();
                services.DisableAllExternalWolverineTransports();
            });
        });
        _factory.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        _factory.StartServer();
        BaseAddress = _factory.ClientOptions.BaseAddress;

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Environment.GetEnvironmentVariable("CATALYST_CHROMIUM") ?? "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new() { BaseURL = BaseAddress.ToString() });
        context.SetDefaultTimeout(15_000);
        return await context.NewPageAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        await _factory.DisposeAsync();
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
    }
}

[CollectionDefinition("browser")]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>;

/// <summary>End-to-end: each test signs up a fresh person, so tests do not see each other's data.</summary>
[Collection("browser")]
public abstract class BrowserContext(BrowserFixture fixture)
{
    protected BrowserFixture Fixture { get; } = fixture;

    protected async Task<IPage> SignedUpPage(string? email = null)
    {
        var page = await Fixture.NewPageAsync();
        await page.GotoAsync("/signup");
        await page.FillAsync("#Email", email ?? $"user-{Guid.NewGuid():N}@example.com");
        await page.FillAsync("#Password", "a long enough password");
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync("**/projects");
        await HtmxSettled(page);
        return page;
    }

    /// <summary>htmx has finished swapping and settling: the next click goes to htmx, not to a half-processed page.</summary>
    protected static Task HtmxSettled(IPage page) =>
        page.WaitForFunctionAsync("() => window.htmx && !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')");
}
