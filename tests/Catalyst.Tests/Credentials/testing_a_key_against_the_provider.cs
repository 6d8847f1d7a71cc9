using System.Diagnostics;
using System.Net;
using Catalyst.Credentials;
using Catalyst.Tests.Infrastructure;
using Marten;

namespace Catalyst.Tests.Credentials;

public sealed class testing_a_key_against_the_provider(AppFixture fixture) : IntegrationContext(fixture)
{
    private async Task<string> TestBeforeSaving(PageClient client, string provider, string key, string? baseUrl)
    {
        var form = CredentialSteps.Form(provider, key, baseUrl: baseUrl);
        var response = await client.HtmxPostAsync("/settings/agents/new?handler=Test", form, "/settings/agents/new");
        var html = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, html);
        html.ShouldNotContain("<html");
        return WebUtility.HtmlDecode(html);
    }

    [Fact]
    public async Task a_good_key_is_reported_as_working_before_and_after_saving()
    {
        var anthropicKey = FakeModelVendor.NewKey("sk-ant-api03-");
        var openAIKey = FakeModelVendor.NewKey("sk-proj-");
        Fixture.Vendor.Accept(anthropicKey);
        Fixture.Vendor.Accept(openAIKey);
        using var ada = await SignedUp("ada@example.com");

        var claude = await TestBeforeSaving(ada, "claude-code", anthropicKey, Fixture.Vendor.AnthropicBaseUrl);
        claude.ShouldContain("data-status=\"valid\"");
        claude.ShouldContain("The key works: Claude Code's API accepted it and lists 2 models.");
        var request = Fixture.Vendor.Requests.Last();
        request.Path.ShouldBe("/v1/models");
        request.Headers["x-api-key"].ShouldBe(anthropicKey);
        request.Headers["anthropic-version"].ShouldBe("2023-06-01");

        var codex = await TestBeforeSaving(ada, "codex-cli", openAIKey, Fixture.Vendor.OpenAIBaseUrl);
        codex.ShouldContain("The key works: Codex CLI's API accepted it and lists 3 models.");
        Fixture.Vendor.Requests.Last().Headers["authorization"].ShouldBe($"Bearer {openAIKey}");

        var id = await ada.AddCredentialAsync(Store, "claude-code", anthropicKey, "work", baseUrl: Fixture.Vendor.AnthropicBaseUrl);
        var tested = await ada.PostFormAsync($"/settings/agents?handler=Test&id={id}", new(), formPage: "/settings/agents");
        tested.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var list = WebUtility.HtmlDecode(await ada.GetHtmlAsync("/settings/agents"));
        list.ShouldContain("data-status=\"valid\">works</span>");
        list.ShouldContain("lists 2 models");

        await using var session = Store.QuerySession();
        var stored = await session.LoadAsync<UserAgentCredential>(id);
        stored!.LastTest!.Status.ShouldBe(KeyTestStatus.Valid);
        stored.LastTest.HttpStatus.ShouldBe(200);
    }

    [Fact]
    public async Task a_refused_key_shows_the_providers_own_error()
    {
        using var ada = await SignedUp("ada@example.com");
        var claude = await TestBeforeSaving(ada, "claude-code", FakeModelVendor.NewKey("sk-ant-api03-"), Fixture.Vendor.AnthropicBaseUrl);
        claude.ShouldContain("data-status=\"rejected\"");
        claude.ShouldContain("Claude Code's API refused the key (HTTP 401): invalid x-api-key");

        var badOpenAIKey = FakeModelVendor.NewKey("sk-proj-");
        var codex = await TestBeforeSaving(ada, "codex-cli", badOpenAIKey, Fixture.Vendor.OpenAIBaseUrl);
        codex.ShouldContain("Codex CLI's API refused the key (HTTP 401): Incorrect API key provided: sk-pro");

        var id = await ada.AddCredentialAsync(Store, "codex-cli", badOpenAIKey, "stale", baseUrl: Fixture.Vendor.OpenAIBaseUrl);
        var row = WebUtility.HtmlDecode(await (await ada.HtmxPostAsync($"/settings/agents?handler=Test&id={id}", new(), "/settings/agents")).Content.ReadAsStringAsync());
        row.ShouldContain("data-status=\"rejected\"");
        row.ShouldContain("Incorrect API key provided");
    }

    [Fact]
    public async Task a_gemini_key_is_tested_against_the_generative_language_api_and_a_bad_one_is_refused()
    {
        var good = FakeModelVendor.NewKey("AIzaSy");
        Fixture.Vendor.Accept(good);
        using var ada = await SignedUp("ada@example.com");

        var works = await TestBeforeSaving(ada, "gemini-cli", good, Fixture.Vendor.GeminiBaseUrl);
        works.ShouldContain("data-status=\"valid\"");
        works.ShouldContain("The key works: Gemini CLI's API accepted it and lists 3 models.");
        var request = Fixture.Vendor.Requests.Last();
        request.Path.ShouldBe("/v1beta/models");
        request.Headers["x-goog-api-key"].ShouldBe(good);
        request.Headers.ShouldNotContainKey("authorization");

        // Google says 400, not 401, for a key it does not know; it is still a refused key.
        var refused = await TestBeforeSaving(ada, "gemini-cli", FakeModelVendor.NewKey("AIzaSy"), Fixture.Vendor.GeminiBaseUrl);
        refused.ShouldContain("data-status=\"rejected\"");
        refused.ShouldContain("Gemini CLI's API refused the key (HTTP 400): API key not valid. Please pass a valid API key.");
    }

    [Fact]
    public async Task qwen_code_and_opencode_keys_are_tested_against_their_vendors_apis()
    {
        var openAIKey = FakeModelVendor.NewKey("sk-");
        var anthropicKey = FakeModelVendor.NewKey("sk-ant-api03-");
        Fixture.Vendor.Accept(openAIKey);
        Fixture.Vendor.Accept(anthropicKey);
        using var ada = await SignedUp("ada@example.com");

        (await TestBeforeSaving(ada, "qwen-code", openAIKey, Fixture.Vendor.OpenAIBaseUrl)).ShouldContain("The key works: Qwen Code's API accepted it and lists 3 models.");
        Fixture.Vendor.Requests.Last().Headers["authorization"].ShouldBe($"Bearer {openAIKey}");

        // OpenCode's credential is an Anthropic key: it is checked the way Anthropic's API checks it.
        (await TestBeforeSaving(ada, "opencode", anthropicKey, Fixture.Vendor.AnthropicBaseUrl)).ShouldContain("The key works: OpenCode's API accepted it and lists 2 models.");
        var request = Fixture.Vendor.Requests.Last();
        request.Path.ShouldBe("/v1/models");
        request.Headers["x-api-key"].ShouldBe(anthropicKey);
        request.Headers["anthropic-version"].ShouldBe("2023-06-01");
    }

    [Fact]
    public async Task an_unreachable_or_silent_provider_is_explained_not_a_server_error()
    {
        using var ada = await SignedUp("ada@example.com");
        var key = FakeModelVendor.NewKey("sk-ant-api03-");

        var refused = await TestBeforeSaving(ada, "claude-code", key, FakeModelVendor.UnreachableBaseUrl());
        refused.ShouldContain("data-status=\"unreachable\"");
        refused.ShouldContain("Catalyst could not reach http://127.0.0.1:");
        refused.ShouldContain("Check the base URL");

        var clock = Stopwatch.StartNew();
        var silent = await TestBeforeSaving(ada, "claude-code", key, Fixture.Vendor.HangingBaseUrl);
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(8));
        clock.Elapsed.ShouldBeGreaterThan(TimeSpan.FromSeconds(1.2));
        silent.ShouldContain("data-status=\"timedout\"");
        silent.ShouldContain("did not answer within 1.5 seconds");

        // A stored credential behind a silent endpoint: the list shows the timeout, the request is no 500.
        var id = await ada.AddCredentialAsync(Store, "claude-code", key, "slow", baseUrl: Fixture.Vendor.HangingBaseUrl);
        var response = await ada.PostFormAsync($"/settings/agents?handler=Test&id={id}", new(), formPage: "/settings/agents");
        response.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        WebUtility.HtmlDecode(await ada.GetHtmlAsync("/settings/agents")).ShouldContain("did not answer within 1.5 seconds");
    }

    [Fact]
    public async Task without_javascript_the_test_button_redraws_the_form_with_the_result_and_an_empty_key_field()
    {
        var key = FakeModelVendor.NewKey("sk-ant-api03-");
        Fixture.Vendor.Accept(key);
        using var ada = await SignedUp("ada@example.com");
        var form = CredentialSteps.Form("claude-code", key, "kept-label", baseUrl: Fixture.Vendor.AnthropicBaseUrl);
        var response = await ada.PostFormAsync("/settings/agents/new?handler=Test", form, formPage: "/settings/agents/new");
        var html = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, html);
        html.ShouldContain("<html");
        WebUtility.HtmlDecode(html).ShouldContain("The key works");
        html.ShouldContain("value=\"kept-label\"");
        html.ShouldContain("value=\"claude-code\" checked=\"checked\"");
        html.ShouldNotContain(key);

        var missing = await ada.HtmxPostAsync("/settings/agents/new?handler=Test", CredentialSteps.Form("claude-code", ""), "/settings/agents/new");
        missing.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await missing.Content.ReadAsStringAsync()).ShouldContain("Paste the API key");
    }
}
