using Catalyst.Contracts;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Workspaces;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Wolverine;

namespace Catalyst.Tests.EndToEnd;

/// <summary>
/// A person with two projects runs a task in each, reads the project page's recent tasks, then narrows the all-tasks page
/// by text, status and project, with JavaScript on and off.
/// </summary>
[Trait("Category", "Browser")]
public sealed class a_person_overviews_tasks_across_projects(BrowserFixture fixture) : BrowserContext(fixture), IDisposable
{
    private readonly WorkspaceSandbox _alpha = WorkspaceSandbox.Create();
    private readonly WorkspaceSandbox _beta = WorkspaceSandbox.Create();

    public void Dispose()
    {
        _alpha.Dispose();
        _beta.Dispose();
    }

    [Fact]
    public async Task the_project_page_shows_recent_tasks_and_the_all_tasks_page_narrows_by_text_status_and_project()
    {
        var name = $"runner{Guid.NewGuid():N}"[..14];
        var email = $"{name}@example.com";
        var page = await SignedUpPage(email);
        await WithScreenshotOnFailure(page, async () =>
        {
            var alpha = await ProjectWithScriptAgentFormAsync(page, "Alpha shop", _alpha.Origin);
            var alphaTask = await RunAsync(page, alpha, "# Polish the alpha readme\necho polished > README.md && git add README.md && git commit -qm 'Polish'", "completed");
            var beta = await ProjectWithScriptAgentFormAsync(page, "Beta shop", _beta.Origin, newCredential: false);
            var betaTask = await RunAsync(page, beta, "# Break the beta build\nexit 3", "failed");

            // The broker metered the alpha task's model requests at 42 cents.
            using (var scope = Fixture.Services.CreateScope())
                await scope.ServiceProvider.GetRequiredService<IMessageBus>()
                    .InvokeAsync(new LlmUsageMetered(alphaTask, "m", 1000, 200, 0, 0, 0.42m, DateTimeOffset.UtcNow));

            await page.GotoAsync($"/projects/{alpha}");
            var row = page.Locator($"#recent-tasks tr[data-task='{alphaTask}']");
            await Assertions.Expect(row.Locator(".badge")).ToHaveTextAsync("completed");
            await Assertions.Expect(row).ToContainTextAsync("Polish the alpha readme");
            await Assertions.Expect(row).ToContainTextAsync("Script agent");
            await Assertions.Expect(row.Locator(".started-by")).ToHaveTextAsync(name);
            await Assertions.Expect(row.Locator(".duration")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d+ (s|min)"));
            await Assertions.Expect(row.Locator(".cost")).ToHaveTextAsync("$0.42");
            await Assertions.Expect(page.Locator($"#recent-tasks tr[data-task='{betaTask}']")).ToHaveCountAsync(0);

            await page.ClickAsync("nav a[href='/tasks']");
            await page.WaitForAddressAsync("**/tasks");
            await HtmxSettled(page);
            await Assertions.Expect(Rows(page)).ToHaveCountAsync(2);

            await page.Locator("#q").PressSequentiallyAsync("alpha readme");
            await Assertions.Expect(Rows(page)).ToHaveCountAsync(1);
            await Assertions.Expect(Rows(page).First).ToHaveAttributeAsync("data-task", alphaTask.ToString());
            await page.Locator("#q").ClearAsync();
            await page.Locator("#q").PressAsync("Backspace");
            await Assertions.Expect(Rows(page)).ToHaveCountAsync(2);

            await page.SelectOptionAsync("#status", "failed");
            await Assertions.Expect(Rows(page)).ToHaveCountAsync(1);
            await Assertions.Expect(Rows(page).First).ToHaveAttributeAsync("data-task", betaTask.ToString());
            await page.SelectOptionAsync("#status", "");

            await page.SelectOptionAsync("#project", alpha);
            await Assertions.Expect(Rows(page)).ToHaveCountAsync(1);
            await Assertions.Expect(Rows(page).First).ToHaveAttributeAsync("data-task", alphaTask.ToString());
            await page.SelectOptionAsync("#status", "failed");
            await Assertions.Expect(page.Locator("#all-tasks")).ToContainTextAsync("No tasks match");

            // Without JavaScript the form is a plain GET and narrows the same way.
            var context = await Fixture.Browser.NewContextAsync(new() { BaseURL = Fixture.BaseAddress.ToString(), JavaScriptEnabled = false });
            var reader = await context.NewPageAsync();
            await SignInAsync(reader, email, "a long enough password");
            await reader.WaitForAddressAsync("**/projects");
            await reader.GotoAsync("/tasks");
            await reader.FillAsync("#q", "beta build");
            await reader.ClickAsync("#all-task-filters button:has-text('Search')");
            await reader.WaitForAddressAsync("**/tasks?*q=beta*");
            await Assertions.Expect(Rows(reader)).ToHaveCountAsync(1);
            await Assertions.Expect(Rows(reader).First).ToHaveAttributeAsync("data-task", betaTask.ToString());
            await reader.SelectOptionAsync("#project", alpha);
            await reader.ClickAsync("#all-task-filters button:has-text('Search')");
            await Assertions.Expect(reader.Locator("#all-tasks")).ToContainTextAsync("No tasks match");
            await context.DisposeAsync();
        });
    }

    private static ILocator Rows(IPage page) => page.Locator("#all-tasks tbody tr");

    /// <summary>Starts a task from the open task form and waits on its page for <paramref name="status"/>; returns its id.</summary>
    private static async Task<Guid> RunAsync(IPage page, string slug, string instructions, string status)
    {
        await page.FillAsync("#Instructions", instructions);
        await page.ClickAsync("button:has-text('Start task')");
        await page.WaitForAddressAsync($"**/projects/{slug}/agents/*");
        await Assertions.Expect(page.Locator("#task-status .badge")).ToHaveTextAsync(status, new() { Timeout = 30_000 });
        return Guid.Parse(new Uri(page.Url).AbsolutePath.Split('/').Last());
    }
}
