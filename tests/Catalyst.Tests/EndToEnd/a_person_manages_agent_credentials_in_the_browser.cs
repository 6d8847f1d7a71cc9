using Catalyst.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Catalyst.Tests.EndToEnd;

public sealed class a_person_manages_agent_credentials_in_the_browser(BrowserFixture fixture) : BrowserContext(fixture)
{
    /// <summary>
    /// The page shows <paramref name="path"/>. Boosted navigation changes the URL with pushState, which Playwright's
    /// WaitForURL (waiting for a load event) sometimes misses; the URL assertion polls instead.
    /// </summary>
    private static Task At(IPage page, string path) =>
        Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex(System.Text.RegularExpressions.Regex.Escape(path) + "$"), new() { Timeout = 15_000 });

    private static Task Settled(IPage page) => HtmxSettled(page);

    [Fact]
    public async Task add_a_credential_test_it_see_it_masked_and_delete_it()
    {
        await using var vendor = await FakeModelVendor.StartAsync();
        var key = FakeModelVendor.NewKey("sk-ant-api03-");
        vendor.Accept(key);
        var page = await SignedUpPage();
        page.Dialog += async (_, dialog) => await dialog.AcceptAsync();
        await Settled(page);

        await page.ClickAsync("nav >> text=Agent credentials");
        await At(page, "/settings/agents");
        await Assertions.Expect(page.Locator("text=No credentials yet")).ToBeVisibleAsync();
        await Settled(page);
        await page.ClickAsync("text=Add a credential");
        await At(page, "/settings/agents/new");
        await Settled(page);

        // Pick the agent by its card, type the key into a masked field, and test it before saving.
        await Assertions.Expect(page.Locator(".provider-card:not([data-provider='script-agent'])")).ToHaveCountAsync(7);
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
        await At(page, "/settings/agents");
        await Settled(page);
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
        await Settled(page);

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

    [Fact]
    public async Task picking_another_agent_card_on_the_task_form_offers_its_credentials()
    {
        var page = await SignedUpPage();
        await Settled(page);
        var slug = $"shop-{Guid.NewGuid():N}"[..12];
        await page.GotoAsync("/projects/new");
        await page.FillAsync("#Form_Name", "Shop");
        await page.FillAsync("#Form_Slug", slug);
        await page.FillAsync("#Form_RepositoryUrl", "https://git.example.com/acme/shop.git");
        await page.ClickAsync("button:has-text('Create project')");
        await At(page, $"/projects/{slug}");
        foreach (var (provider, label) in new[] { ("claude-code", "work"), ("codex-cli", "ci") })
        {
            await page.GotoAsync($"/settings/agents/new?provider={provider}");
            await page.FillAsync("#Form_ApiKey", FakeModelVendor.NewKey("sk-"));
            await page.FillAsync("#Form_Label", label);
            await page.ClickAsync("#save-credential");
            await At(page, "/settings/agents");
            await Settled(page);
        }

        await page.GotoAsync($"/projects/{slug}/agents/new?Provider=claude-code");
        await Settled(page);
        await Assertions.Expect(page.Locator("#CredentialId option")).ToHaveTextAsync([new System.Text.RegularExpressions.Regex("^work \\(claude-code")]);
        await page.ClickAsync(".provider-card[data-provider='codex-cli']");
        await Assertions.Expect(page.Locator("#CredentialId option")).ToHaveTextAsync([new System.Text.RegularExpressions.Regex("^ci \\(codex-cli")]);
        await page.ClickAsync(".provider-card[data-provider='aider']");
        await Assertions.Expect(page.Locator("#CredentialId option")).ToHaveTextAsync([new System.Text.RegularExpressions.Regex("No credential for this agent")]);
    }
}
