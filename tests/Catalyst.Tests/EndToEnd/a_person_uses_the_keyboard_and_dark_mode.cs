using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Workspaces;
using Microsoft.Playwright;

namespace Catalyst.Tests.EndToEnd;

/// <summary>Keyboard and screen readers: a skip link, focus that shows, every control named; dark mode when the system asks.</summary>
[Trait("Category", "Browser")]
public sealed class a_person_uses_the_keyboard_and_dark_mode(BrowserFixture fixture) : BrowserContext(fixture), IDisposable
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();

    public void Dispose() => _sandbox.Dispose();

    /// <summary>Controls a screen reader would announce without a name.</summary>
    private const string Unnamed = """
        () => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
          .filter(e => e.offsetParent !== null || e.type === 'checkbox' || e.type === 'radio')
          .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby') && !e.closest('label')
                       && !(e.tagName === 'BUTTON' && e.textContent.trim()))
          .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.name ? '[name=' + e.name + ']' : ''))
        """;

    [Fact]
    public async Task tab_reaches_the_skip_link_first_focus_is_visible_and_every_control_has_a_name()
    {
        var page = await SignedUpPage();
        await WithScreenshotOnFailure(page, async () =>
        {
            var slug = await ProjectWithScriptAgentFormAsync(page, "Keyboard", _sandbox.Origin);
            await page.GotoAsync("/projects");
            await page.Keyboard.PressAsync("Tab");
            (await page.EvaluateAsync<string>("() => document.activeElement.textContent.trim()")).ShouldBe("Skip to content");
            var outline = await page.EvaluateAsync<string>("() => getComputedStyle(document.activeElement).outlineStyle");
            outline.ShouldNotBe("none");
            await page.Keyboard.PressAsync("Enter");
            (await page.EvaluateAsync<string>("() => document.activeElement.id")).ShouldBe("main");

            var unnamed = new List<string>();
            foreach (var url in new[]
                     {
                         "/projects", "/projects/new", $"/projects/{slug}", $"/projects/{slug}/edit", $"/projects/{slug}/agents",
                         $"/projects/{slug}/agents/new", $"/projects/{slug}/agents/compare", "/settings/agents", "/settings/agents/new", "/settings/tokens",
                         "/settings/account", "/settings/notifications", "/tasks",
                     })
            {
                await page.GotoAsync(url);
                await HtmxSettled(page);
                unnamed.AddRange((await page.EvaluateAsync<string[]>(Unnamed)).Select(c => $"{url}: {c}"));
            }
            unnamed.ShouldBeEmpty();
        });
    }

    [Fact]
    public async Task the_pages_turn_dark_when_the_system_is_dark()
    {
        var context = await Fixture.Browser.NewContextAsync(new() { BaseURL = Fixture.BaseAddress.ToString(), ColorScheme = ColorScheme.Dark });
        var page = await context.NewPageAsync();
        await WithScreenshotOnFailure(page, async () =>
        {
            await page.GotoAsync("/signin");
            var background = await page.EvaluateAsync<int[]>("() => getComputedStyle(document.documentElement).backgroundColor.match(/\\d+/g).map(Number)");
            background.Take(3).Sum().ShouldBeLessThan(150, "a dark background");
            var ink = await page.EvaluateAsync<int[]>("() => getComputedStyle(document.body).color.match(/\\d+/g).map(Number)");
            ink.Take(3).Sum().ShouldBeGreaterThan(500, "light text");
        });
        await context.CloseAsync();
    }
}
