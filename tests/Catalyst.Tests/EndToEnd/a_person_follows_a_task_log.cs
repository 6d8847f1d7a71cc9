using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Workspaces;
using Microsoft.Playwright;

namespace Catalyst.Tests.EndToEnd;

/// <summary>The task page's log keeps up with the agent like a terminal does, and a failure reads inside its box.</summary>
[Trait("Category", "Browser")]
public sealed class a_person_follows_a_task_log(BrowserFixture fixture) : BrowserContext(fixture), IDisposable
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();

    public void Dispose() => _sandbox.Dispose();

    private const string AtBottom = "() => { const b = document.getElementById('logs'); return b.scrollHeight - b.scrollTop - b.clientHeight < 24; }";

    [Fact]
    public async Task the_log_follows_new_lines_stops_when_scrolled_up_jumps_back_and_a_long_error_wraps()
    {
        var page = await SignedUpPage();
        await WithScreenshotOnFailure(page, async () =>
        {
            var slug = await ProjectWithScriptAgentFormAsync(page, "Follow the log", _sandbox.Origin);
            await page.FillAsync("#Instructions", """
                for i in $(seq 1 80); do echo "early line $i"; done
                for i in $(seq 1 40); do echo "late line $i"; sleep 0.3; done
                echo "$(printf 'unbroken%.0s' $(seq 1 60))" >&2
                exit 3
                """);
            await page.ClickAsync("button:has-text('Start task')");
            await page.WaitForAddressAsync($"**/projects/{slug}/agents/*");

            // At the bottom, it follows: the newest line is in view as it arrives.
            await Assertions.Expect(page.Locator("#logs")).ToContainTextAsync("late line 3", new() { Timeout = 30_000 });
            (await page.EvaluateAsync<bool>("() => { const b = document.getElementById('logs'); return b.scrollHeight > b.clientHeight; }")).ShouldBeTrue("the log overflows its box");
            await Assertions.Expect(page.Locator("#logs")).ToContainTextAsync("late line 5", new() { Timeout = 15_000 });
            await AtBottomSoon(page, "a reader at the bottom sees new lines");
            await Assertions.Expect(page.Locator("#jump-to-latest")).ToBeHiddenAsync();

            // Scrolled up, it stays where the reader is, and offers the way back.
            await page.Locator("#logs").EvaluateAsync("b => { b.scrollTop = 0; b.dispatchEvent(new Event('scroll')); }");
            var count = await page.Locator("#logs .logline").CountAsync();
            await page.WaitForFunctionAsync($"() => document.querySelectorAll('#logs .logline').length > {count + 2}", null, new() { Timeout = 15_000 });
            (await page.Locator("#logs").EvaluateAsync<double>("b => b.scrollTop")).ShouldBeLessThan(5);
            await Assertions.Expect(page.Locator("#jump-to-latest")).ToBeVisibleAsync();

            await page.ClickAsync("#jump-to-latest");
            await AtBottomSoon(page, "the jump lands on the newest line");
            count = await page.Locator("#logs .logline").CountAsync();
            await page.WaitForFunctionAsync($"() => document.querySelectorAll('#logs .logline').length > {count + 1}", null, new() { Timeout = 15_000 });
            await AtBottomSoon(page, "following again after the jump");

            await Assertions.Expect(page.Locator("#task-status .badge")).ToHaveTextAsync("failed", new() { Timeout = 60_000 });
            // A finished task opens at the end of its log, and its error stays inside its box.
            await page.ReloadAsync();
            await HtmxSettled(page);
            await Assertions.Expect(page.Locator("#task-error")).ToContainTextAsync("unbroken");
            (await page.EvaluateAsync<bool>(AtBottom)).ShouldBeTrue("a finished task's log opens at its end");
            await Assertions.Expect(page.Locator("#logs")).ToContainTextAsync("late line 40");
            var overflow = await page.Locator("#task-error").EvaluateAsync<bool>("e => e.scrollWidth > e.clientWidth + 1");
            overflow.ShouldBeFalse("the error wraps inside its box");
            var errorRight = await page.Locator("#task-error").EvaluateAsync<double>("e => e.getBoundingClientRect().right");
            var cardRight = await page.Locator("#task-summary").EvaluateAsync<double>("e => e.getBoundingClientRect().right");
            errorRight.ShouldBeLessThanOrEqualTo(cardRight);
        });
    }

    // A line is appended and then scrolled to in the same frame or the next; on a loaded machine the check may land
    // between the two, so it waits a little for the bottom. A log that stopped following never gets there: lines keep coming.
    private static async Task AtBottomSoon(IPage page, string because)
    {
        try { await page.WaitForFunctionAsync(AtBottom, null, new() { Timeout = 3_000 }); }
        catch (TimeoutException) { throw new Shouldly.ShouldAssertException($"The log is not at its bottom: {because}."); }
    }
}
