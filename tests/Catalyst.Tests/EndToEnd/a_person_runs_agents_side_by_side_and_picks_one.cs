using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Tasks;
using Catalyst.Tests.Workspaces;
using Microsoft.Playwright;

namespace Catalyst.Tests.EndToEnd;

public sealed class a_person_runs_agents_side_by_side_and_picks_one(BrowserFixture fixture) : BrowserContext(fixture), IDisposable
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public async Task two_runs_appear_side_by_side_update_live_and_the_chosen_one_becomes_the_result()
    {
        var page = await SignedUpPage();
        var slug = await ProjectWithScriptAgentFormAsync(page, "Side by side", _sandbox.Origin);
        await page.SelectOptionAsync("#Runs", "2");
        // Run 2 takes its time, so the page is seen changing while it stays loaded.
        await page.FillAsync("#Instructions", ParallelRunSteps.ScriptWhere(run2: "sleep 4"));
        await page.ClickAsync("button:has-text('Start task')");
        await page.WaitForAddressAsync($"**/projects/{slug}/agents/*/runs");

        var marker = await page.EvaluateAsync<string>("() => (window.__catalystMarker = 'same page')");
        await Assertions.Expect(page.Locator("#runs > .run")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("#run-1 .badge.completed")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator("#run-1 button:has-text('Use this run')")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#task-status .badge")).ToHaveTextAsync("awaiting choice", new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator("#run-2 button:has-text('Use this run')")).ToBeVisibleAsync(new() { Timeout = 15_000 });
        await Assertions.Expect(page.Locator("#run-2 .logs")).ToContainTextAsync("Task completed");
        (await page.EvaluateAsync<string>("() => window.__catalystMarker")).ShouldBe(marker);

        // Their changes, side by side on this page: a person picks a run on its code.
        await Assertions.Expect(page.Locator("#run-1-changes .dl.add")).ToContainTextAsync(["change on"]);
        await Assertions.Expect(page.Locator("#run-2-changes .dl.add")).ToContainTextAsync(["change on"]);
        var (left, right) = ((await page.Locator("#run-1-changes").BoundingBoxAsync())!, (await page.Locator("#run-2-changes").BoundingBoxAsync())!);
        right.X.ShouldBeGreaterThan(left.X + left.Width - 1, "run 2's changes sit beside run 1's");
        right.Y.ShouldBe(left.Y, 1);

        var branch = (await page.Locator("#run-2 dd code").TextContentAsync())!;
        await page.ClickAsync("#run-2 button:has-text('Use this run')");
        await Assertions.Expect(page.Locator("#task-status .badge")).ToHaveTextAsync("completed", new() { Timeout = 15_000 });
        await Assertions.Expect(page.Locator("#task-results")).ToContainTextAsync(branch);
        await Assertions.Expect(page.Locator("#task-results #commits")).ToContainTextAsync($"Change on {branch}");
        await Assertions.Expect(page.Locator("#run-2 .badge", new() { HasText = "chosen" })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#task-timeline")).ToContainTextAsync("Run 2 chosen");
        await Assertions.Expect(page.Locator("button:has-text('Use this run')")).ToHaveCountAsync(0);

        // The task list shows the request once, with its runs.
        await page.GotoAsync($"/projects/{slug}/agents");
        await Assertions.Expect(page.Locator("#tasks tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#tasks tbody tr")).ToContainTextAsync("2 runs: Script agent ×2");
    }
}
