using Catalyst.Host.Accounts;
using Catalyst.Tasks.Logs;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Tasks;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Catalyst.Tests.EndToEnd;

/// <summary>
/// A task's log folds each tool call and its result into one line that opens in place, with or without JavaScript; times
/// read "5 min ago" with the exact moment, in the reader's own zone, on hover (and in UTC where no script runs).
/// </summary>
[Trait("Category", "Browser")]
public sealed class a_person_reads_a_log_and_its_times(BrowserFixture fixture) : BrowserContext(fixture)
{
    private const string LongResult = "PASS src/app.test.ts\nPASS src/api.test.ts\nPASS src/db.test.ts\nTests: 42 passed, 42 total";

    /// <summary>A person, a project and a task that already ran, whose log has the agent's words around a tool call and its result.</summary>
    private async Task<(string Email, string Url)> TaskWithToolCalls(bool javaScript, string? timezone = null)
    {
        var context = await Fixture.Browser.NewContextAsync(new()
        {
            BaseURL = Fixture.BaseAddress.ToString(), JavaScriptEnabled = javaScript, TimezoneId = timezone, Locale = "en-US",
        });
        context.SetDefaultTimeout(15_000);
        _page = await context.NewPageAsync();
        var email = $"reader-{Guid.NewGuid():N}@example.com";
        await _page.GotoAsync("/signup");
        await _page.FillAsync("#Email", email);
        await _page.FillAsync("#Password", "a long enough password");
        await _page.ClickAsync("button[type=submit]");
        await _page.WaitForAddressAsync("**/projects");
        var slug = $"log-{Guid.NewGuid():N}"[..12];
        await _page.GotoAsync("/projects/new");
        await _page.FillAsync("#Form_Name", "Read the log");
        await _page.FillAsync("#Form_Slug", slug);
        await _page.FillAsync("#Form_RepositoryUrl", "https://example.com/acme/log.git");
        await _page.ClickAsync("button:has-text('Create project')");
        await _page.WaitForAddressAsync($"**/projects/{slug}");

        var store = Fixture.Services.GetRequiredService<IDocumentStore>();
        Guid userId;
        await using (var session = store.QuerySession())
            userId = (await session.Query<CatalystUser>().SingleAsync(u => u.Email == email)).Id;
        var taskId = await store.RecordAsync(await store.ProjectAsync(slug), userId, new TaskHistory.Past("Make the tests pass", DateTimeOffset.UtcNow.AddMinutes(-5)));
        var at = DateTimeOffset.UtcNow.AddMinutes(-4);
        await Fixture.Services.GetRequiredService<TaskLogWriter>().WriteAsync(taskId,
        [
            new(at, TaskLogLevel.Info, TaskLogKinds.AgentMessage, "I will run the tests first."),
            new(at, TaskLogLevel.Info, TaskLogKinds.ToolCall, "Bash: npm test"),
            new(at, TaskLogLevel.Info, TaskLogKinds.ToolResult, LongResult),
            new(at, TaskLogLevel.Info, TaskLogKinds.AgentMessage, "All 42 tests pass."),
        ], CancellationToken.None);
        return (email, $"/projects/{slug}/agents/{taskId}");
    }

    private IPage _page = null!;

    [Fact]
    public async Task a_tool_result_is_one_line_until_opened_and_opens_without_javascript()
    {
        var (_, url) = await TaskWithToolCalls(javaScript: false);
        await WithScreenshotOnFailure(_page, async () =>
        {
            await _page.GotoAsync(url);
            var result = _page.Locator("#logs details.kind-tool_result");
            await Assertions.Expect(result).ToHaveCountAsync(1);
            await Assertions.Expect(result).Not.ToHaveAttributeAsync("open", "");
            await Assertions.Expect(_page.Locator("#logs div.kind-agent_message")).ToHaveCountAsync(2);
            var folded = (await result.Locator(".msg").BoundingBoxAsync())!.Height;
            (await _page.Locator("#logs div.kind-agent_message .msg").First.BoundingBoxAsync())!.Height.ShouldBe(folded, 2, "a folded result is one line high");

            await result.Locator("summary").ClickAsync();
            await Assertions.Expect(result).ToHaveAttributeAsync("open", "");
            (await result.Locator(".msg").BoundingBoxAsync())!.Height.ShouldBeGreaterThan(folded * 3, "an opened result shows all its lines");
            await result.Locator("summary").ClickAsync();
            await Assertions.Expect(result).Not.ToHaveAttributeAsync("open", "");

            // With no script, a time reads the exact moment in UTC, and says so on hover.
            var created = _page.Locator("time[data-relative]").First;
            (await created.TextContentAsync())!.ShouldEndWith(" UTC");
            (await created.GetAttributeAsync("title"))!.ShouldMatch(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$");
        });
    }

    [Fact]
    public async Task with_javascript_the_keyboard_opens_a_tool_call_and_times_read_relative_with_the_exact_time_in_the_readers_zone()
    {
        var (_, url) = await TaskWithToolCalls(javaScript: true, timezone: "Asia/Tokyo");
        await WithScreenshotOnFailure(_page, async () =>
        {
            await _page.GotoAsync(url);
            await HtmxSettled(_page);
            var call = _page.Locator("#logs details.kind-tool_call");
            await call.Locator("summary").FocusAsync();
            await _page.Keyboard.PressAsync("Enter");
            await Assertions.Expect(call).ToHaveAttributeAsync("open", "");

            var created = _page.Locator("time[data-relative]").First;
            await Assertions.Expect(created).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d+ min ago$"));
            // The hover is the reader's own zone: Tokyo is GMT+9.
            await Assertions.Expect(created).ToHaveAttributeAsync("title", new System.Text.RegularExpressions.Regex(@"\d{4}.*GMT\+9"));
        });
    }
}
