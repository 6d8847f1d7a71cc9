using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Tasks;
using Catalyst.Tests.Workspaces;
using Microsoft.Playwright;

namespace Catalyst.Tests.EndToEnd;

public sealed class a_person_approves_an_agents_plan(BrowserFixture fixture) : BrowserContext(fixture), IDisposable
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public async Task the_plan_appears_live_and_approving_it_lets_the_agent_commit()
    {
        var page = await SignedUpPage();
        var slug = await ProjectWithScriptAgentFormAsync(page, "Planned work", _sandbox.Origin);
        await page.FillAsync("#Instructions", """
            if [ "$1" = plan ]; then sleep 1; echo "Step 1: add PLANNED.md"; exit 0; fi
            echo "carrying out the plan"
            echo "done" > PLANNED.md && git add PLANNED.md && git commit -qm "Carry out the plan"
            """);
        await page.CheckAsync("#PlanFirst");
        await page.ClickAsync("button:has-text('Start task')");
        await page.WaitForAddressAsync($"**/projects/{slug}/agents/*");

        // The plan arrives on the open page: the status event refreshes the panels.
        await Assertions.Expect(page.Locator("#task-status .badge")).ToHaveTextAsync("awaiting approval", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#task-plan pre")).ToHaveTextAsync("Step 1: add PLANNED.md", new() { Timeout = 15_000 });
        await page.FillAsync("#plan-notes", "Go ahead.");
        await page.ClickAsync("button:has-text('Approve plan')");

        await Assertions.Expect(page.Locator("#task-status .badge")).ToHaveTextAsync("completed", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#commits")).ToContainTextAsync("Carry out the plan", new() { Timeout = 15_000 });
        await Assertions.Expect(page.Locator("#logs")).ToContainTextAsync("carrying out the plan");
        await Assertions.Expect(page.Locator("#task-timeline")).ToContainTextAsync("Plan approved");
    }
}
