using Catalyst.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Catalyst.Tests.EndToEnd;

public sealed class a_person_creates_a_project_in_the_browser(BrowserFixture fixture) : BrowserContext(fixture)
{
    [Fact]
    public async Task sign_up_create_a_project_and_see_it_listed()
    {
        var page = await SignedUpPage();
        await WithScreenshotOnFailure(page, async () =>
        {
            await page.ClickAsync("text=New project");
            await page.WaitForAddressAsync("**/projects/new");
            var slug = $"web-{Guid.NewGuid():N}"[..12];
            await page.FillAsync("#Form_Name", "Web storefront");
            await page.FillAsync("#Form_Slug", slug);
            await page.FillAsync("#Form_RepositoryUrl", "https://example.com/acme/storefront.git");
            await page.ClickAsync("button:has-text('Create project')");
            await page.WaitForAddressAsync($"**/projects/{slug}");
            (await page.TextContentAsync("h1")).ShouldBe("Web storefront");

            await page.ClickAsync("nav >> text=Projects");
            await page.WaitForAddressAsync("**/projects");
            var listed = page.Locator("#projects .project-name");
            await Assertions.Expect(listed).ToHaveTextAsync(["Web storefront"]);
        });
    }

    [Fact]
    public async Task a_bad_slug_is_explained_on_the_form_without_losing_the_input()
    {
        var page = await SignedUpPage();
        await page.GotoAsync("/projects/new");
        await page.FillAsync("#Form_Name", "Keeps my name");
        await page.FillAsync("#Form_Slug", "Bad Slug");
        await page.FillAsync("#Form_RepositoryUrl", "https://git.example.com/acme/x.git");
        await page.ClickAsync("button:has-text('Create project')");
        await Assertions.Expect(page.Locator("[data-valmsg-for='Form.Slug']")).ToContainTextAsync("lowercase letters");
        (await page.InputValueAsync("#Form_Name")).ShouldBe("Keeps my name");
    }

    [Fact]
    public async Task the_slug_follows_the_name_as_it_is_typed_until_the_person_writes_their_own()
    {
        var page = await SignedUpPage();
        await WithScreenshotOnFailure(page, async () =>
        {
            await page.GotoAsync("/projects/new");
            var unique = Guid.NewGuid().ToString("N")[..6];
            await page.Locator("#Form_Name").PressSequentiallyAsync($"Café Déjà Vu {unique}");
            await Assertions.Expect(page.Locator("#Form_Slug")).ToHaveValueAsync($"cafe-deja-vu-{unique}");

            await page.FillAsync("#Form_Slug", $"mine-{unique}");
            await page.Locator("#Form_Name").PressSequentiallyAsync(" and more");
            await Assertions.Expect(page.Locator("#Form_Slug")).ToHaveValueAsync($"mine-{unique}");

            await page.FillAsync("#Form_RepositoryUrl", "https://example.com/acme/cafe.git");
            await page.ClickAsync("button:has-text('Create project')");
            await page.WaitForAddressAsync($"**/projects/mine-{unique}");
        });
    }
}
