using Catalyst.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Catalyst.Tests.EndToEnd;

/// <summary>After sign-out, Back does not bring the signed-out person's pages back.</summary>
[Trait("Category", "Browser")]
public sealed class a_person_signs_out(BrowserFixture fixture) : BrowserContext(fixture)
{
    [Fact]
    public async Task back_after_sign_out_shows_the_sign_in_page_not_the_last_page()
    {
        var page = await SignedUpPage();
        await WithScreenshotOnFailure(page, async () =>
        {
            await page.ClickAsync("a:has-text('API tokens')");
            await page.WaitForAddressAsync("**/settings/tokens");
            await HtmxSettled(page);
            await Assertions.Expect(page.Locator("h1")).ToContainTextAsync("API tokens");

            await page.ClickAsync("button:has-text('Sign out')");
            await page.WaitForAddressAsync("**/signin");
            await HtmxSettled(page);

            await page.GoBackAsync();
            await page.WaitForAddressAsync("**/signin**");
            await HtmxSettled(page);
            await Assertions.Expect(page.Locator("h1")).Not.ToContainTextAsync("API tokens");
            await Assertions.Expect(page.Locator("button:has-text('Sign out')")).ToHaveCountAsync(0);
            (await page.EvaluateAsync<int>("() => Object.keys(localStorage).filter(k => k.startsWith('htmx')).map(k => localStorage.getItem(k)).join('').length"))
                .ShouldBeLessThan(10, "htmx keeps no copy of the pages");
        });
    }
}
