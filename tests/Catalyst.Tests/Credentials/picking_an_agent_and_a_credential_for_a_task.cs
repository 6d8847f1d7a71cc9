using System.Net;
using Catalyst.Contracts;
using Catalyst.Tests.Infrastructure;

namespace Catalyst.Tests.Credentials;

public sealed class picking_an_agent_and_a_credential_for_a_task(AppFixture fixture) : IntegrationContext(fixture)
{
    private static Dictionary<string, string> Project(string slug) => new()
    {
        ["Form.Name"] = "Shop", ["Form.Slug"] = slug, ["Form.RepositoryUrl"] = "https://git.example.com/acme/shop.git", ["Form.DefaultBranch"] = "main",
        ["Form.TimeoutSeconds"] = "600", ["Form.MaxConcurrentTasks"] = "1",
    };

    [Fact]
    public async Task the_task_form_offers_provider_cards_and_only_the_persons_own_credentials_for_the_chosen_agent()
    {
        using var ada = await SignedUp("ada@example.com");
        (await ada.PostFormAsync("/projects/new", Project("shop"))).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var claudeKey = FakeModelVendor.NewKey("sk-ant-api03-");
        var claude = await ada.AddCredentialAsync(Store, "claude-code", claudeKey, "work");
        var codex = await ada.AddCredentialAsync(Store, "codex-cli", FakeModelVendor.NewKey("sk-proj-"), "ci");
        var gone = await ada.AddCredentialAsync(Store, "claude-code", FakeModelVendor.NewKey("sk-ant-api03-"), "old");
        (await ada.PostFormAsync($"/settings/agents?handler=Delete&id={gone}", new(), formPage: "/settings/agents")).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        using var bob = await SignedUp("bob@example.com");
        await bob.AddCredentialAsync(Store, "claude-code", FakeModelVendor.NewKey("sk-ant-api03-"), "bobs-own-credential");

        var page = WebUtility.HtmlDecode(await ada.GetHtmlAsync("/projects/shop/agents/new?Provider=claude-code"));
        page.ShouldContain("id=\"provider-cards\"");
        page.ShouldContain("value=\"claude-code\" checked=\"checked\"");
        page.ShouldContain($"<option value=\"{claude}\">work (claude-code, {claudeKey[..6]}…{claudeKey[^4..]})</option>");
        page.ShouldNotContain(codex.ToString());
        page.ShouldNotContain(gone.ToString());
        page.ShouldNotContain("bobs-own-credential");
        page.ShouldNotContain(claudeKey);

        var options = WebUtility.HtmlDecode(await ada.GetHtmlAsync("/projects/shop/agents/new?handler=Credentials&Provider=codex-cli"));
        options.ShouldContain($"<option value=\"{codex}\">ci (codex-cli,");
        options.ShouldNotContain(claude.ToString());

        var adaId = await UserId("ada@example.com");
        var all = await Invoke<IReadOnlyList<CredentialRef>>(new ListUserCredentials(adaId));
        all.Select(c => c.Id).ShouldBe([claude, codex]);
        (await Invoke<IReadOnlyList<CredentialRef>>(new ListUserCredentials(adaId, "codex-cli"))).Single().Id.ShouldBe(codex);
    }
}
