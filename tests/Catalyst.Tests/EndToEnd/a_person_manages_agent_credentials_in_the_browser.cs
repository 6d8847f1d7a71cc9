using Catalyst.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Catalyst.Tests.EndToEnd;

public sealed class a_person_manages_agent_credentials_in_the_browser(BrowserFixture fixture) : BrowserContext(fixture)
{
    [Fact]
    public async Task add_a_credential_test_it_see_it_masked_and_delete_it()
    {
        await using var vendor = await FakeModelVendor.StartAsync();
        var key = FakeModelVendor.NewKey("sk-ant-api03-");
        vendor.Accept(key);
        var page = await SignedUpPage();
        page.Dialog += async (_, dialog) => await dialog.AcceptAsync();

        await page.ClickAsync("nav >> text=Agent credentials");
        await page.WaitForURLAsync("**/settings/agents");
        await Assertions.Expect(page.Locator("text=No credentials yet")).ToBeVisibleAsync();
        await page.ClickAsync("text=Add a credential");
        await page.WaitForURLAsync("**/settings/agents/new");

        // Pick the agent by its card, type the key into a masked field, and test it before saving.
        await Assertions.Expect(page.Locator(".provider-card")).ToHaveCountAsync(4);
        await page.ClickAsync(".provider-card[data-provider='claude-code']");
        (await page.IsCheckedAsync("#Form_Provider_claude-code")).ShouldBeTrue();
        (await page.GetAttributeAsync("#Form_ApiKey", "type")).ShouldBe("password");
        await page.FillAsync("#Form_ApiKey", key);
        await page.FillAsync("#Form_Label", "work");
        await page.FillAsync("#Form_BaseUrl", vendor.AnthropicBaseUrl);
        await page.ClickAsync("#test-key");
        await Assertions.Expect(page.Locator("#key-test-result")).ToContainTextAsync("The key works");
        (await page.InputValueAsync("#Form_ApiKey")).ShouldBe(key, "the test must not clear the key the person typed");

        await page.ClickAsync("#save-credential");
        await page.WaitForURLAsync("**/settings/agents");
        var row = page.Locator("tr.credential");
        await Assertions.Expect(row).ToHaveCountAsync(1);
        await Assertions.Expect(row.Locator(".masked-key")).ToHaveTextAsync($"{key[..6]}…{key[^4..]}");
        await Assertions.Expect(row.Locator(".label")).ToContainTextAsync("work");
        (await page.ContentAsync()).ShouldNotContain(key);

        // Test it from the list: the row is swapped in place with the result.
        await row.Locator("button:has-text('Test')").ClickAsync();
        await Assertions.Expect(row.Locator(".last-test")).ToContainTextAsync("works");
        await Assertions.Expect(row.Locator(".last-test")).ToContainTextAsync("lists 2 models");
        page.Url.ShouldEndWith("/settings/agents");

        // Delete, after confirming: the row goes, and stays gone.
        await row.Locator("button:has-text('Delete')").ClickAsync();
        await Assertions.Expect(page.Locator("tr.credential")).ToHaveCountAsync(0);
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("text=No credentials yet")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task a_rejected_key_shows_the_providers_error_beside_the_form()
    {
        await using var vendor = await FakeModelVendor.StartAsync();
        var page = await SignedUpPage();
        await page.GotoAsync("/settings/agents/new?provider=codex-cli");
        (await page.IsCheckedAsync("#Form_Provider_codex-cli")).ShouldBeTrue();
        await page.FillAsync("#Form_ApiKey", FakeModelVendor.NewKey("sk-proj-"));
        await page.FillAsync("#Form_BaseUrl", vendor.OpenAIBaseUrl);
        await page.ClickAsync("#test-key");
        var result = page.Locator("#key-test-result");
        await Assertions.Expect(result).ToHaveAttributeAsync("data-status", "rejected");
        await Assertions.Expect(result).ToContainTextAsync("Incorrect API key provided");
    }
}
