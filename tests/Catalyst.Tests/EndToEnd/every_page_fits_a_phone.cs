using Catalyst.Contracts;
using Catalyst.Host.Accounts;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Workspaces;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Wolverine;

namespace Catalyst.Tests.EndToEnd;

/// <summary>At 390 px wide (a phone), no page scrolls sideways: wide tables scroll inside themselves, long words wrap.</summary>
[Trait("Category", "Browser")]
public sealed class every_page_fits_a_phone(BrowserFixture fixture) : BrowserContext(fixture), IDisposable
{
    private const string Password = "a long enough password";
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();

    public void Dispose() => _sandbox.Dispose();

    /// <summary>The innermost elements that reach past the right edge, to say what to fix.</summary>
    private const string WidestElements = """
        () => [...document.querySelectorAll('body *')]
          .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && ![...e.children].some(c => c.getBoundingClientRect().right > window.innerWidth + 1))
          .slice(0, 4).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\s+/).join('.') : '') + ' (' + Math.round(e.getBoundingClientRect().right) + ')').join(', ')
        """;

    [Fact]
    public async Task no_page_scrolls_sideways_at_390_px()
    {
        var anonymous = await Fixture.NewPageAsync();
        await anonymous.SetViewportSizeAsync(390, 844);
        var wide = new List<string>();
        async Task Check(IPage page, string url)
        {
            await page.GotoAsync(url);
            await HtmxSettled(page);
            var (scroll, inner) = (await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth"), await page.EvaluateAsync<int>("() => window.innerWidth"));
            if (scroll > inner) wide.Add($"{url}: {scroll} px wide, past the edge: " + await page.EvaluateAsync<string>(WidestElements));
        }
        foreach (var url in new[] { "/", "/signin", "/signup" }) await Check(anonymous, url);

        var page = await SignedUpPage();
        await WithScreenshotOnFailure(page, async () =>
        {
            var slug = await ProjectWithScriptAgentFormAsync(page, "A project with a rather long name for a phone", _sandbox.Origin);
            await page.FillAsync("#Instructions", """
                echo "a line with a very long path /srv/catalyst/workspaces/abcdefabcdefabcdefabcdefabcdefabcdef/src/components/deeply/nested/file.ts"
                echo "hello" > HELLO.md && git add HELLO.md && git commit -qm "Add a greeting file with a commit message long enough to wrap on a phone screen"
                echo "$(printf 'unbroken%.0s' $(seq 1 40))" >&2
                exit 2
                """);
            await page.ClickAsync("button:has-text('Start task')");
            await page.WaitForAddressAsync($"**/projects/{slug}/agents/*");
            var task = page.Url;
            await Assertions.Expect(page.Locator("#task-status .badge")).ToHaveTextAsync("failed", new() { Timeout = 60_000 });

            await page.GotoAsync($"/projects/{slug}/agents/new");
            await HtmxSettled(page);
            await page.ClickAsync($".provider-card[data-provider='{ScriptAgent.Name}']");
            await Assertions.Expect(page.Locator("#CredentialId option")).ToContainTextAsync(["demo"]);
            await page.FillAsync("#Instructions", "echo run");
            await page.SelectOptionAsync("#Runs", "2");
            await page.ClickAsync("button:has-text('Start task')");
            await page.WaitForAddressAsync($"**/projects/{slug}/agents/*/runs");
            var runs = page.Url;

            await page.SetViewportSizeAsync(390, 844);
            foreach (var url in new[]
                     {
                         "/projects", "/projects/new", $"/projects/{slug}", $"/projects/{slug}/edit", $"/projects/{slug}/agents",
                         $"/projects/{slug}/agents/new", $"/projects/{slug}/agents/compare", task, runs,
                         "/settings/agents", "/settings/agents/new", "/settings/tokens", "/settings/account", "/settings/notifications", "/tasks",
                         $"{task}/diff",
                     })
                await Check(page, url);

            // The admin's pages, with a few people in the users table (its actions column is the widest).
            var admin = $"phone-admin-{Guid.NewGuid():N}@example.com";
            using (var scope = Fixture.Services.CreateScope())
                (await scope.ServiceProvider.GetRequiredService<IMessageBus>()
                    .InvokeAsync<Result<AccountSummary>>(new RegisterAccount(admin, Password, MakeAdmin: true))).Succeeded.ShouldBeTrue();
            var adminPage = await Fixture.NewPageAsync();
            await SignInAsync(adminPage, admin, Password);
            await adminPage.WaitForAddressAsync("**/projects");
            await adminPage.SetViewportSizeAsync(390, 844);
            foreach (var url in new[] { "/settings/users", "/settings/budgets", "/projects", "/tasks" }) await Check(adminPage, url);
            wide.ShouldBeEmpty();
        });
    }

    [Fact]
    public async Task the_main_navigation_stays_a_short_header_on_a_phone()
    {
        var page = await SignedUpPage();
        await page.SetViewportSizeAsync(390, 844);
        await page.GotoAsync("/projects");
        // Brand and account on one row, the links wrapped in rows under them: not one link per line down the screen.
        var header = await page.Locator("header.topbar").BoundingBoxAsync();
        header.ShouldNotBeNull();
        header.Height.ShouldBeLessThan(150, "the header takes more than a third of a phone's first screen");
        var brand = await page.Locator("header .brand").BoundingBoxAsync();
        var account = await page.Locator("header .account").BoundingBoxAsync();
        Math.Abs(brand!.Y - account!.Y).ShouldBeLessThan(brand.Height, "the brand and the account sit on the same row");
    }

    [Fact]
    public async Task the_plan_first_checkbox_sits_beside_its_words()
    {
        var page = await SignedUpPage();
        await WithScreenshotOnFailure(page, async () =>
        {
            await ProjectWithScriptAgentFormAsync(page, "Checkbox", _sandbox.Origin);
            var box = (await page.Locator("#PlanFirst").BoundingBoxAsync())!;
            var words = (await page.Locator("label[for=PlanFirst] span").BoundingBoxAsync())!;
            (words.X - (box.X + box.Width)).ShouldBeInRange(0, 16, "the words follow the checkbox");
            // On the words' first line.
            (box.Y + box.Height / 2).ShouldBeInRange(words.Y, words.Y + 24);
        });
    }
}
