using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Workspaces;
using Microsoft.Playwright;

namespace Catalyst.Tests.EndToEnd;

/// <summary>An agent that changed nothing is not shown as a green success; a task its owner cancelled is not shown as an error.</summary>
[Trait("Category", "Browser")]
public sealed class a_person_sees_a_task_status_that_tells_the_truth(BrowserFixture fixture) : BrowserContext(fixture), IDisposable
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public async Task a_task_that_committed_nothing_reads_no_changes_on_its_page_and_in_the_list()
    {
        var page = await SignedUpPage();
        await WithScreenshotOnFailure(page, async () =>
        {
            var slug = await ProjectWithScriptAgentFormAsync(page, "Quiet run", _sandbox.Origin);
            await page.FillAsync("#Instructions", "echo 'looked around, nothing to change'");
            await page.ClickAsync("button:has-text('Start task')");
            await page.WaitForAddressAsync($"**/projects/{slug}/agents/*");

            var badge = page.Locator("#task-status .badge");
            await Assertions.Expect(badge).ToHaveTextAsync("completed · no changes", new() { Timeout = 30_000 });
            await Assertions.Expect(badge).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bno-changes\b"));
            await Assertions.Expect(page.Locator(".badge.completed")).ToHaveCountAsync(0);
            var green = await badge.EvaluateAsync<string>("b => getComputedStyle(b).backgroundColor");

            await page.ClickAsync($"a[href='/projects/{slug}/agents']:has-text('tasks')");
            await page.WaitForAddressAsync($"**/projects/{slug}/agents");
            var listed = page.Locator("tbody tr .badge").First;
            await Assertions.Expect(listed).ToHaveTextAsync("completed · no changes");
            await Assertions.Expect(listed).Not.ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bcompleted\b"));
            green.ShouldNotBe(await ColourOfASuccess(page));
        });
    }

    [Fact]
    public async Task cancel_on_a_running_task_reads_cancelled_not_an_error()
    {
        var page = await SignedUpPage();
        page.Dialog += async (_, dialog) => await dialog.AcceptAsync();
        await WithScreenshotOnFailure(page, async () =>
        {
            var slug = await ProjectWithScriptAgentFormAsync(page, "Long run", _sandbox.Origin);
            await page.FillAsync("#Instructions", "echo 'started the long job'\nsleep 120");
            await page.ClickAsync("button:has-text('Start task')");
            await page.WaitForAddressAsync($"**/projects/{slug}/agents/*");
            await Assertions.Expect(page.Locator("#logs")).ToContainTextAsync("started the long job", new() { Timeout = 30_000 });

            await page.ClickAsync("button:has-text('Cancel task')");
            await Assertions.Expect(page.Locator("#task-status .badge")).ToHaveTextAsync("cancelled", new() { Timeout = 30_000 });
            await Assertions.Expect(page.Locator("#task-error")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\binfo\b"));
            await Assertions.Expect(page.Locator(".alert.error:visible")).ToHaveCountAsync(0);
            await Assertions.Expect(page.Locator(".badge.failed")).ToHaveCountAsync(0);
        });
    }

    /// <summary>The background of a completed badge in the product's stylesheet, read from a badge made on the page.</summary>
    private static Task<string> ColourOfASuccess(IPage page) => page.EvaluateAsync<string>("""
        () => { const b = document.createElement('span'); b.className = 'badge completed'; document.body.append(b);
                const c = getComputedStyle(b).backgroundColor; b.remove(); return c; }
        """);
}
