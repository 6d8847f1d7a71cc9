using System.Net;
using JasperFx.CommandLine;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Catalyst.Tests.Tasks;
using Wolverine;

namespace Catalyst.Tests.Infrastructure;

/// <summary>The Host on a real Kestrel port, its own database, and a headless Chromium driven by Playwright.</summary>
public class BrowserFixture(TestDatabase database) : IAsyncLifetime
{
    /// <summary>The fixture's own database: another fixture of this kind (with other settings) must not share it.</summary>
    protected virtual string DatabaseName => "catalyst_e2e";

    /// <summary>Settings of this host beyond the test defaults (a fixture for one configuration overrides them).</summary>
    protected virtual IEnumerable<KeyValuePair<string, string>> Settings => [];

    /// <summary>Whether a throwaway account walks the common pages before the tests (<see cref="WarmUpAsync"/>); a host whose tests need its first account does not.</summary>
    protected virtual bool WarmsUp => true;

    private WebApplicationFactory<Program> _factory = null!;
    private IPlaywright _playwright = null!;

    public IBrowser Browser { get; private set; } = null!;
    public Uri BaseAddress { get; private set; } = null!;
    public IServiceProvider Services => _factory.Services;
    /// <summary>The loopback GitHub (REST under /api/v3/) the Host's GitHub integration talks to.</summary>
    public FakeGitHub GitHub { get; private set; } = null!;
    /// <summary>The loopback mail server notification emails go to.</summary>
    public FakeSmtpServer Smtp { get; } = FakeSmtpServer.Start();
    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), $"catalyst-e2e-data-{Guid.NewGuid():N}");

    public async ValueTask InitializeAsync()
    {
        var connection = await database.CreateDatabaseAsync(DatabaseName);
        GitHub = await FakeGitHub.StartAsync();
        JasperFxEnvironment.AutoStartHost = true;
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Development");
            web.UseSetting("ConnectionStrings:Catalyst", connection);
            web.UseSetting("CATALYST_DATA_DIR", DataDirectory);
            foreach (var (key, value) in TestSettings.Values) web.UseSetting(key, value);
            // The browser reaches this host at its own address, so its public URL stays unset (the origin checks of
            // /mcp and the forms compare against it); only GitHub's API and webhook settings are taken.
            foreach (var (key, value) in GitHub.ApiSettings().Where(s => s.Key != "Catalyst:PublicUrl")) web.UseSetting(key, value);
            foreach (var (key, value) in Smtp.Settings()) web.UseSetting(key, value);
            foreach (var (key, value) in Settings) web.UseSetting(key, value);
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
        if (WarmsUp) await WarmUpAsync();

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Environment.GetEnvironmentVariable("CATALYST_CHROMIUM") ?? "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    /// <summary>
    /// A fresh Host compiles the generated code of each handler and document type on its first use: on two busy cores, a
    /// first sign-up and its projects page can take longer than a browser step waits. A throwaway account walks the pages
    /// most tests start with once, before any test does (and, being the first account, is the admin no test relies on).
    /// </summary>
    private async Task WarmUpAsync()
    {
        using var sandbox = Workspaces.WorkspaceSandbox.Create();
        using var client = new PageClient(new SocketsHttpHandler { AllowAutoRedirect = false }, BaseAddress);
        (await client.PostFormAsync("/signup", new() { ["Email"] = "warm-up@example.com", ["Password"] = "a long enough password" })).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        await client.CreateProjectAsync("warm-up", sandbox.Origin);
        foreach (var path in new[] { "/projects", "/projects/warm-up", "/projects/warm-up/agents", "/projects/warm-up/agents/new", "/tasks",
                     "/settings/agents", "/settings/agents/new", "/settings/notifications", "/settings/account", "/settings/tokens" })
            await client.GetHtmlAsync(path);
    }

    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new() { BaseURL = BaseAddress.ToString() });
        // Generous: the whole suite shares two cores with Chromium; a missing element still fails, only later.
        context.SetDefaultTimeout(30_000);
        return await context.NewPageAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        await _factory.DisposeAsync();
        if (GitHub is not null) await GitHub.DisposeAsync();
        await Smtp.DisposeAsync();
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
    }
}

[CollectionDefinition("browser")]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>;

/// <summary>End-to-end: each test signs up a fresh person, so tests do not see each other's data.</summary>
[Collection("browser")]
public abstract class BrowserContext(BrowserFixture fixture) : BrowserSteps(fixture);

/// <summary>
/// The steps of the browser tests, on whichever browser host the test's collection gives (<see cref="BrowserContext"/>: the
/// shared one; a test that needs other settings names its own collection and fixture).
/// </summary>
public abstract class BrowserSteps(BrowserFixture fixture)
{
    protected BrowserFixture Fixture { get; } = fixture;

    protected async Task<IPage> SignedUpPage(string? email = null)
    {
        var page = await Fixture.NewPageAsync();
        await WithScreenshotOnFailure(page, async () =>
        {
            await page.GotoAsync("/signup");
            await page.FillAsync("#Email", email ?? $"user-{Guid.NewGuid():N}@example.com");
            await page.FillAsync("#Password", "a long enough password");
            await page.ClickAsync("button[type=submit]");
            // On /projects once the address is there: twice (first test after the host started) the page was on
            // /projects, signed in, while the wait for its load event ran out. htmx settled is what the next step needs.
            await page.WaitForAddressAsync("**/projects", new() { WaitUntil = WaitUntilState.Commit });
            await HtmxSettled(page);
        });
        return page;
    }

    /// <summary>Fills the sign-in form on a page of its own; the caller checks where it lands.</summary>
    protected static async Task SignInAsync(IPage page, string email, string password)
    {
        await page.GotoAsync("/signin");
        await page.FillAsync("#Email", email);
        await page.FillAsync("#Password", password);
        await page.ClickAsync("button:has-text('Sign in')");
    }

    /// <summary>
    /// Through the pages: a project on <paramref name="repository"/>, a script-agent credential labelled "demo", and the
    /// task form open with that agent and credential chosen (<paramref name="newCredential"/> false: the person's "demo"
    /// credential already exists). Returns the project's slug.
    /// </summary>
    protected static async Task<string> ProjectWithScriptAgentFormAsync(IPage page, string name, string repository, bool newCredential = true)
    {
        var slug = $"e2e-{Guid.NewGuid():N}"[..12];
        await page.GotoAsync("/projects/new");
        await page.FillAsync("#Form_Name", name);
        await page.FillAsync("#Form_Slug", slug);
        await page.FillAsync("#Form_RepositoryUrl", repository);
        await page.ClickAsync("button:has-text('Create project')");
        // The address, then htmx settled: a load event the browser had already fired was missed once (as at sign-up).
        await page.WaitForAddressAsync($"**/projects/{slug}", new() { WaitUntil = WaitUntilState.Commit });

        if (newCredential) await ScriptCredentialAsync(page);

        await page.GotoAsync($"/projects/{slug}/agents/new");
        await HtmxSettled(page);
        await page.ClickAsync($".provider-card[data-provider='{ScriptAgent.Name}']");
        await Assertions.Expect(page.Locator("#CredentialId option")).ToContainTextAsync(["demo"]);
        return slug;
    }

    /// <summary>Through the credentials form: a script-agent credential labelled "demo".</summary>
    protected static async Task ScriptCredentialAsync(IPage page)
    {
        await page.GotoAsync("/settings/agents/new");
        await page.ClickAsync($".provider-card[data-provider='{ScriptAgent.Name}']");
        await page.FillAsync("#Form_ApiKey", Tasks.TaskSteps.Key);
        await page.FillAsync("#Form_Label", "demo");
        await page.ClickAsync("#save-credential");
        await page.WaitForAddressAsync("**/settings/agents", new() { WaitUntil = WaitUntilState.Commit });
        await HtmxSettled(page);
    }

    /// <summary>
    /// Runs a test's steps on <paramref name="page"/>; when one fails, a screenshot of the page goes into the test results
    /// (TestResults/screenshots/&lt;test&gt;.png, and attached to the test's result), and the failure says which page was
    /// shown and the start of its text, so a failure seen only in a CI log still tells where the browser was.
    /// </summary>
    protected static async Task WithScreenshotOnFailure(IPage page, Func<Task> steps, [System.Runtime.CompilerServices.CallerMemberName] string test = "")
    {
        try
        {
            await steps();
        }
        catch (Exception failure)
        {
            var shown = "";
            try
            {
                var directory = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");
                Directory.CreateDirectory(directory);
                var png = await page.ScreenshotAsync(new() { FullPage = true, Path = Path.Combine(directory, $"{test}.png") });
                TestContext.Current.AddAttachment($"{test}.png", png, "image/png");
                var text = string.Join(' ', (await page.InnerTextAsync("body", new() { Timeout = 2_000 })).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
                var state = await page.EvaluateAsync<string>("document.readyState");
                shown = $"{page.Url} (document {state}): {(text.Length > 400 ? text[..400] + "…" : text)}";
            }
            catch (PlaywrightException) { }
            if (shown.Length == 0) throw;
            throw new BrowserStepFailed($"{failure.Message}\nThe page shown: {shown}", failure);
        }
    }

    private sealed class BrowserStepFailed(string message, Exception inner) : Exception(message, inner);

    /// <summary>htmx has finished swapping and settling: the next click goes to htmx, not to a half-processed page.</summary>
    protected static Task HtmxSettled(IPage page) =>
        page.WaitForFunctionAsync("() => window.htmx && !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')");
}
