using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Tasks;
using Catalyst.Tests.Workspaces;
using Microsoft.Playwright;

namespace Catalyst.Tests.EndToEnd;

public sealed class a_person_runs_an_agent_and_watches_it_live(BrowserFixture fixture) : BrowserContext(fixture), IDisposable
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public async Task create_a_task_from_the_form_see_its_lines_arrive_and_its_commit()
    {
        var page = await SignedUpPage();
        var slug = await ProjectWithScriptAgentFormAsync(page, "Live demo", _sandbox.Origin);
        await page.FillAsync("#Instructions", """
            sleep 2
            for i in 1 2 3 4 5; do echo "working on step $i"; sleep 0.4; done
            echo "hello" > HELLO.md && git add HELLO.md && git commit -qm "Say hello"
            """);
        await page.ClickAsync("button:has-text('Start task')");
        await page.WaitForAddressAsync($"**/projects/{slug}/agents/*");

        // The lines arrive over the live stream while the page stays loaded.
        var marker = await page.EvaluateAsync<string>("() => (window.__catalystMarker = 'same page')");
        await Assertions.Expect(page.Locator("#logs")).ToContainTextAsync("working on step 1", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#logs")).ToContainTextAsync("working on step 5", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#task-status .badge")).ToHaveTextAsync("completed", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#commits")).ToContainTextAsync("Say hello", new() { Timeout = 15_000 });
        (await page.EvaluateAsync<string>("() => window.__catalystMarker")).ShouldBe(marker);
        var lines = await page.Locator("#logs .logline").AllTextContentsAsync();
        lines.Count(l => l.Contains("working on step 3")).ShouldBe(1);
    }
}
