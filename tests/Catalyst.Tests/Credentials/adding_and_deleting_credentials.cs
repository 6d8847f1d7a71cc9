using System.Net;
using Catalyst.Contracts;
using Catalyst.Credentials;
using Catalyst.Tests.Infrastructure;
using Marten;

namespace Catalyst.Tests.Credentials;

public sealed class adding_and_deleting_credentials(AppFixture fixture) : IntegrationContext(fixture)
{
    private static readonly string Key = FakeModelVendor.NewKey("sk-ant-api03-");

    [Fact]
    public async Task the_new_credential_page_offers_every_active_provider_as_a_card()
    {
        using var ada = await SignedUp("ada@example.com");
        var html = WebUtility.HtmlDecode(await ada.GetHtmlAsync("/settings/agents/new?provider=codex-cli"));

        foreach (var (name, display, monogram) in new[]
                 {
                     ("claude-code", "Claude Code", "CC"), ("codex-cli", "Codex CLI", "Cx"), ("cline", "Cline", "Cl"), ("aider", "Aider", "Ai"),
                     ("gemini-cli", "Gemini CLI", "Gm"), ("qwen-code", "Qwen Code", "Qw"), ("opencode", "OpenCode", "OC"),
                 })
        {
            html.ShouldContain($"data-provider=\"{name}\"");
            html.ShouldContain($"<span class=\"provider-name\">{display}</span>");
            html.ShouldContain($"<span class=\"monogram\" aria-hidden=\"true\">{monogram}</span>");
        }
        html.ShouldContain("Anthropic's agentic coding CLI");
        foreach (var feature in new[] { "hooks", "plans", "subagents", "mcp" }) html.ShouldContain($"feature-{feature}\">{feature}</span>");
        html.ShouldMatch("value=\"codex-cli\" checked=\"checked\"");
        html.ShouldContain("type=\"password\"");
    }

    [Fact]
    public async Task a_person_adds_a_credential_and_sees_it_masked_in_the_list()
    {
        using var ada = await SignedUp("ada@example.com");
        (await ada.GetHtmlAsync("/settings/agents")).ShouldContain("No credentials yet");

        var id = await ada.AddCredentialAsync(Store, "claude-code", Key, "work", model: "claude-opus-4-1");

        var list = WebUtility.HtmlDecode(await ada.GetHtmlAsync("/settings/agents"));
        list.ShouldContain($"id=\"credential-{id}\"");
        list.ShouldContain("Claude Code");
        list.ShouldContain("work");
        list.ShouldContain("claude-opus-4-1");
        list.ShouldContain($"<code class=\"masked-key\">{Key[..6]}…{Key[^4..]}</code>");
        list.ShouldContain("never");
        list.ShouldContain("not tested");
        list.ShouldNotContain(Key);
        list.ShouldNotContain(Key[6..^4]);

        var found = await Invoke<CredentialRef?>(new FindUserCredential(await UserId("ada@example.com"), id));
        found.ShouldNotBeNull();
        found.ShouldSatisfyAllConditions(
            f => f.Provider.ShouldBe("claude-code"), f => f.Label.ShouldBe("work"), f => f.Active.ShouldBeTrue(),
            f => f.Model.ShouldBe("claude-opus-4-1"), f => f.BaseUrl.ShouldBeNull(), f => f.MaskedKey.ShouldBe(CredentialInput.Mask(Key)));
        (await Invoke<CredentialRef?>(new FindUserCredentialByLabel(await UserId("ada@example.com"), "claude-code", "WORK")))!.Id.ShouldBe(id);
    }

    [Fact]
    public async Task bad_input_gets_a_400_that_says_what_to_fix_and_never_echoes_the_key()
    {
        using var ada = await SignedUp("ada@example.com");

        var response = await ada.PostCredentialAsync(CredentialSteps.Form("claude-code", "", "no good label!", "bad model name", "ftp://example.com"));
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var html = await response.Content.ReadAsStringAsync();
        WebUtility.HtmlDecode(CredentialSteps.FieldError(html, "Form.ApiKey")).ShouldContain("Paste the API key");
        WebUtility.HtmlDecode(CredentialSteps.FieldError(html, "Form.Label")).ShouldContain("A label is up to 50");
        WebUtility.HtmlDecode(CredentialSteps.FieldError(html, "Form.Model")).ShouldContain("Enter a model name");
        WebUtility.HtmlDecode(CredentialSteps.FieldError(html, "Form.BaseUrl")).ShouldContain("base URL");

        var unknown = await ada.PostCredentialAsync(CredentialSteps.Form("made-up-agent", Key));
        unknown.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var unknownHtml = await unknown.Content.ReadAsStringAsync();
        WebUtility.HtmlDecode(CredentialSteps.FieldError(unknownHtml, "Form.Provider")).ShouldContain("is not an agent Catalyst can run");
        unknownHtml.ShouldNotContain(Key);

        var spaced = await ada.PostCredentialAsync(CredentialSteps.Form("claude-code", "has spaces in it"));
        spaced.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        WebUtility.HtmlDecode(CredentialSteps.FieldError(await spaced.Content.ReadAsStringAsync(), "Form.ApiKey")).ShouldContain("does not look like an API key");

        await using var session = Store.QuerySession();
        (await session.Query<UserAgentCredential>().CountAsync()).ShouldBe(0);
    }

    [Fact]
    public async Task a_label_is_used_once_per_provider()
    {
        using var ada = await SignedUp("ada@example.com");
        await ada.AddCredentialAsync(Store, "claude-code", Key, "work");

        var duplicate = await ada.PostCredentialAsync(CredentialSteps.Form("claude-code", FakeModelVendor.NewKey("sk-ant-"), "Work"));
        duplicate.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        WebUtility.HtmlDecode(CredentialSteps.FieldError(await duplicate.Content.ReadAsStringAsync(), "Form.Label"))
            .ShouldBe("You already have a Claude Code credential labelled “Work”. Choose another label, or delete that one first.");

        // The same label for another agent, or for another person, is fine.
        await ada.AddCredentialAsync(Store, "codex-cli", FakeModelVendor.NewKey("sk-proj-"), "work");
        using var bob = await SignedUp("bob@example.com");
        await bob.AddCredentialAsync(Store, "claude-code", FakeModelVendor.NewKey("sk-ant-"), "work");

        // An empty label is "default", which is then taken too.
        await ada.AddCredentialAsync(Store, "cline", FakeModelVendor.NewKey("sk-"), "default");
        var unlabelled = await ada.PostCredentialAsync(CredentialSteps.Form("cline", FakeModelVendor.NewKey("sk-")));
        unlabelled.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task deleting_erases_the_key_and_frees_the_label_without_javascript()
    {
        using var ada = await SignedUp("ada@example.com");
        var adaId = await UserId("ada@example.com");
        var id = await ada.AddCredentialAsync(Store, "claude-code", Key, "work");
        var taskId = Guid.NewGuid();
        (await Invoke<CredentialRef?>(new GrantCredentialToTask(adaId, id, taskId))).ShouldNotBeNull();

        var deleted = await ada.PostFormAsync($"/settings/agents?handler=Delete&id={id}", new(), formPage: "/settings/agents");
        deleted.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        deleted.Headers.Location!.ToString().ShouldBe("/settings/agents");

        await using (var session = Store.QuerySession())
        {
            var stored = await session.LoadAsync<UserAgentCredential>(id);
            stored.ShouldNotBeNull();
            stored.Secret.ShouldBeNull();
            stored.DeletedAt.ShouldNotBeNull();
            stored.Active.ShouldBeFalse();
            stored.Label.ShouldBe("work");
        }
        (await ada.GetHtmlAsync("/settings/agents")).ShouldNotContain($"credential-{id}");
        (await IssueToken(id, taskId)).ShouldBeNull();
        (await Invoke<CredentialRef?>(new FindUserCredential(adaId, id))).ShouldBeNull();
        (await Invoke<CredentialRef?>(new FindUserCredentialByLabel(adaId, "claude-code", "work"))).ShouldBeNull();
        (await Invoke<CredentialRef?>(new GrantCredentialToTask(adaId, id, Guid.NewGuid()))).ShouldBeNull();

        (await ada.PostFormAsync($"/settings/agents?handler=Delete&id={id}", new(), formPage: "/settings/agents")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        await ada.AddCredentialAsync(Store, "claude-code", FakeModelVendor.NewKey("sk-ant-"), "work");
    }

    [Fact]
    public async Task with_htmx_delete_removes_the_row_and_test_swaps_it()
    {
        using var ada = await SignedUp("ada@example.com");
        Fixture.Vendor.Accept(Key);
        var id = await ada.AddCredentialAsync(Store, "claude-code", Key, "work", baseUrl: Fixture.Vendor.AnthropicBaseUrl);
        var list = await ada.GetHtmlAsync("/settings/agents");
        list.ShouldContain($"hx-post=\"/settings/agents?id={id}&amp;handler=Test\"");
        list.ShouldContain($"hx-post=\"/settings/agents?id={id}&amp;handler=Delete\"");
        list.ShouldContain("hx-confirm=");
        list.ShouldContain("hx-target=\"closest tr\"");

        var tested = await ada.HtmxPostAsync($"/settings/agents?handler=Test&id={id}", new(), "/settings/agents");
        tested.StatusCode.ShouldBe(HttpStatusCode.OK);
        tested.Headers.Vary.ShouldContain("HX-Request");
        var row = await tested.Content.ReadAsStringAsync();
        row.TrimStart().ShouldStartWith($"<tr id=\"credential-{id}\"");
        row.ShouldNotContain("<html");
        row.ShouldContain("data-status=\"valid\"");

        var removed = await ada.HtmxPostAsync($"/settings/agents?handler=Delete&id={id}", new(), "/settings/agents");
        removed.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await removed.Content.ReadAsStringAsync()).ShouldBeEmpty();
        (await ada.GetHtmlAsync("/settings/agents")).ShouldContain("No credentials yet");
    }

    [Fact]
    public async Task signed_out_visitors_are_sent_to_sign_in()
    {
        using var visitor = NewClient();
        var response = await visitor.GetAsync("/settings/agents");
        response.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        response.Headers.Location!.ToString().ShouldContain("/signin");
    }
}
