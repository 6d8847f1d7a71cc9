using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Tasks;
using Catalyst.Tests.Workspaces;
using Microsoft.Playwright;

namespace Catalyst.Tests.EndToEnd;

/// <summary>From a finished task to its code: the diff of its branch and commits, the runs' changes side by side, and the log's tools.</summary>
[Trait("Category", "Browser")]
public sealed class a_person_reads_what_an_agent_changed(BrowserFixture fixture) : BrowserContext(fixture), IDisposable
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public async Task view_changes_shows_the_files_and_lines_and_the_log_can_be_searched()
    {
        var page = await SignedUpPage();
        await WithScreenshotOnFailure(page, async () =>
        {
            var slug = await ProjectWithScriptAgentFormAsync(page, "Read the diff", _sandbox.Origin);
            await page.FillAsync("#Instructions", """
                echo "looking at the README"
                echo "a line the agent added" >> README.md
                git commit -qam "Extend the README"
                echo "all done"
                """);
            await page.ClickAsync("button:has-text('Start task')");
            await page.WaitForAddressAsync($"**/projects/{slug}/agents/*");
            await Assertions.Expect(page.Locator("#task-status .badge")).ToHaveTextAsync("completed", new() { Timeout = 60_000 });
            await Assertions.Expect(page.Locator("#view-changes")).ToBeVisibleAsync(new() { Timeout = 15_000 });

            // Search: only the matching lines stay.
            await page.FillAsync("#log-search", "looking at");
            await Assertions.Expect(page.Locator("#logs .logline:visible")).ToHaveCountAsync(1);
            await Assertions.Expect(page.Locator("#log-search-count")).ToHaveTextAsync("1 matching line");
            await page.FillAsync("#log-search", "");
            (await page.Locator("#logs .logline:visible").CountAsync()).ShouldBeGreaterThan(2);
            // The branch and commit ids can be copied as they are.
            (await page.Locator("#task-summary button.copy").First.GetAttributeAsync("data-copy")).ShouldStartWith("catalyst/");

            await page.ClickAsync("#view-changes");
            await page.WaitForAddressAsync("**/diff");
            await Assertions.Expect(page.Locator(".diff-summary").First).ToContainTextAsync("1 file changed");
            await Assertions.Expect(page.Locator(".diff-files")).ToContainTextAsync("README.md");
            await Assertions.Expect(page.Locator(".dl.add")).ToHaveTextAsync(["a line the agent added"]);

            await page.GoBackAsync();
            await page.ClickAsync("#commits a.commit-diff");
            await page.WaitForAddressAsync("**/diff?commit=*");
            await Assertions.Expect(page.Locator("h1")).ToContainTextAsync("Commit");
            await Assertions.Expect(page.Locator(".dl.add")).ToHaveTextAsync(["a line the agent added"]);
        });
    }

    [Fact]
    public async Task parallel_runs_show_what_each_run_changed_side_by_side()
    {
        var page = await SignedUpPage();
        await WithScreenshotOnFailure(page, async () =>
        {
            var slug = await ProjectWithScriptAgentFormAsync(page, "Runs side by side", _sandbox.Origin);
            await page.SelectOptionAsync("#Runs", "2");
            await page.FillAsync("#Instructions", ParallelRunSteps.ScriptWhere(run2: "echo extra > EXTRA.md && git add EXTRA.md"));
            await page.ClickAsync("button:has-text('Start task')");
            await page.WaitForAddressAsync($"**/projects/{slug}/agents/*/runs");

            await Assertions.Expect(page.Locator("#run-1 .diff-files")).ToContainTextAsync("README.md", new() { Timeout = 60_000 });
            await Assertions.Expect(page.Locator("#run-2 .diff-files")).ToContainTextAsync("EXTRA.md", new() { Timeout = 60_000 });
            await Assertions.Expect(page.Locator("#run-1 .diff-files")).Not.ToContainTextAsync("EXTRA.md");
            // Beside each other, not one under the other.
            // Measured in one go in the page: the runs refresh themselves, and a run swapped out between two reads had no box.
            await page.WaitForFunctionAsync("""
                () => {
                    const one = document.querySelector('#run-1'), two = document.querySelector('#run-2');
                    return one && two && two.getBoundingClientRect().x > one.getBoundingClientRect().right - 1;
                }
                """, null, new() { Timeout = 10_000 });
        });
    }
}
