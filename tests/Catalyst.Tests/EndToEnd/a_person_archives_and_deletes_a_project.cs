using System.Text.RegularExpressions;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Workspaces;
using Microsoft.Playwright;

namespace Catalyst.Tests.EndToEnd;

/// <summary>From the project's settings page: archive it (read-only, listed apart), bring it back, then delete it for good.</summary>
[Trait("Category", "Browser")]
public sealed class a_person_archives_and_deletes_a_project(BrowserFixture fixture) : BrowserContext(fixture), IDisposable
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public async Task deleting_it_keeping_the_history_leaves_its_tasks_to_read_from_all_tasks_but_not_to_retry()
    {
        var page = await SignedUpPage();
        await WithScreenshotOnFailure(page, async () =>
        {
            var slug = await ProjectWithScriptAgentFormAsync(page, "Retired shop", _sandbox.Origin);
            await page.FillAsync("#Instructions", "echo retired > RETIRED.md && git add RETIRED.md && git commit -qm 'Last change' && exit 4");
            await page.ClickAsync("button:has-text('Start task')");
            await page.WaitForAddressAsync(new Regex($"/projects/{slug}/agents/[0-9a-f-]{{36}}$"));
            await Assertions.Expect(page.Locator("#task-status .badge")).ToHaveTextAsync("failed", new() { Timeout = 30_000 });
            await Assertions.Expect(page.Locator("#task-actions button:has-text('Retry')")).ToBeVisibleAsync();
            var taskPath = new Uri(page.Url).AbsolutePath;

            await page.GotoAsync($"/projects/{slug}/edit");
            await page.CheckAsync("input[name=TaskHistory][value=keep]");
            await page.FillAsync("#ConfirmSlug", slug);
            await page.ClickAsync("button:has-text('Delete this project')");
            await page.WaitForAddressAsync("**/projects");

            await page.GotoAsync("/tasks");
            var row = page.Locator($"#tasks tr:has(a[href='{taskPath}'])");
            await Assertions.Expect(row.Locator(".deleted-project")).ToHaveTextAsync("deleted project");
            await Assertions.Expect(row).ToContainTextAsync("Retired shop");
            await row.Locator($"a[href='{taskPath}']").ClickAsync();
            await page.WaitForAddressAsync($"**{taskPath}");
            await Assertions.Expect(page.Locator("#deleted-project-notice")).ToContainTextAsync("The project “Retired shop” was deleted");
            await Assertions.Expect(page.Locator("#task-status .badge")).ToHaveTextAsync("failed");
            await Assertions.Expect(page.Locator("#commits")).ToContainTextAsync("Last change");
            await Assertions.Expect(page.Locator("#task-actions button")).ToHaveCountAsync(0);
            await page.ClickAsync("#view-changes");
            await Assertions.Expect(page.Locator("body")).ToContainTextAsync("RETIRED.md");
        });
    }

    [Fact]
    public async Task archive_lists_it_apart_unarchive_brings_it_back_and_delete_wants_the_history_choice_and_the_slug()
    {
        var page = await SignedUpPage();
        await WithScreenshotOnFailure(page, async () =>
        {
            var slug = $"old-{Guid.NewGuid():N}"[..12];
            await page.GotoAsync("/projects/new");
            await page.FillAsync("#Form_Name", "Old storefront");
            await page.FillAsync("#Form_Slug", slug);
            await page.FillAsync("#Form_RepositoryUrl", "https://example.com/acme/old.git");
            await page.ClickAsync("button:has-text('Create project')");
            await page.WaitForAddressAsync($"**/projects/{slug}");

            await page.ClickAsync("a:has-text('Edit')");
            await page.ClickAsync("button:has-text('Archive this project')");
            await page.WaitForAddressAsync($"**/projects/{slug}");
            await Assertions.Expect(page.Locator("#archived-notice")).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator(".page-head .actions a:has-text('Run an agent')")).ToHaveCountAsync(0);
            await page.GotoAsync("/projects");
            await Assertions.Expect(page.Locator("#archived .project-name")).ToHaveTextAsync(["Old storefront"]);

            await page.GotoAsync($"/projects/{slug}/edit");
            await page.ClickAsync("button:has-text('Unarchive')");
            await page.WaitForAddressAsync($"**/projects/{slug}");
            await Assertions.Expect(page.Locator(".page-head .actions a:has-text('Run an agent')")).ToBeVisibleAsync();

            // Delete without choosing or confirming: told what to do, beside the fields.
            await page.GotoAsync($"/projects/{slug}/edit");
            await page.ClickAsync("button:has-text('Delete this project')");
            await Assertions.Expect(page.Locator("[data-valmsg-for='TaskHistory']")).ToContainTextAsync("keep their history, or delete it");
            await Assertions.Expect(page.Locator("[data-valmsg-for='ConfirmSlug']")).ToContainTextAsync($"Type the project's slug, {slug}");

            await page.CheckAsync("input[name=TaskHistory][value=delete]");
            await page.FillAsync("#ConfirmSlug", slug);
            await page.ClickAsync("button:has-text('Delete this project')");
            await page.WaitForAddressAsync("**/projects");
            await Assertions.Expect(page.Locator($"a[href='/projects/{slug}']")).ToHaveCountAsync(0);
        });
    }
}
