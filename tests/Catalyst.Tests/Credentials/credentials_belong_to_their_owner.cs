using System.Net;
using Catalyst.Contracts;
using Catalyst.Credentials;
using Catalyst.Tests.Infrastructure;
using Marten;

namespace Catalyst.Tests.Credentials;

public sealed class credentials_belong_to_their_owner(AppFixture fixture) : IntegrationContext(fixture)
{
    [Fact]
    public async Task another_person_can_neither_see_test_use_nor_delete_a_credential()
    {
        var key = FakeModelVendor.NewKey("sk-ant-api03-");
        Fixture.Vendor.Accept(key);
        using var ada = await SignedUp("ada@example.com");
        var id = await ada.AddCredentialAsync(Store, "claude-code", key, "ada-work", baseUrl: Fixture.Vendor.AnthropicBaseUrl);
        using var bob = await SignedUp("bob@example.com");
        var bobId = await UserId("bob@example.com");

        var bobsList = await bob.GetHtmlAsync("/settings/agents");
        bobsList.ShouldNotContain("ada-work");
        bobsList.ShouldNotContain(id.ToString());

        var requestsBefore = Fixture.Vendor.Requests.Count;
        (await bob.PostFormAsync($"/settings/agents?handler=Test&id={id}", new(), formPage: "/settings/agents")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await bob.HtmxPostAsync($"/settings/agents?handler=Test&id={id}", new(), "/settings/agents")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        Fixture.Vendor.Requests.Count.ShouldBe(requestsBefore, "Bob's test must not reach the provider with Ada's key");
        (await bob.PostFormAsync($"/settings/agents?handler=Delete&id={id}", new(), formPage: "/settings/agents")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await bob.HtmxPostAsync($"/settings/agents?handler=Delete&id={id}", new(), "/settings/agents")).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        (await Invoke<CredentialRef?>(new FindUserCredential(bobId, id))).ShouldBeNull();
        (await Invoke<CredentialRef?>(new FindUserCredentialByLabel(bobId, "claude-code", "ada-work"))).ShouldBeNull();

        // Bob's own task cannot be granted Ada's credential, and so its workspace gets no token for it.
        var bobsTask = Guid.NewGuid();
        (await Invoke<CredentialRef?>(new GrantCredentialToTask(bobId, id, bobsTask))).ShouldBeNull();
        (await IssueToken(id, bobsTask)).ShouldBeNull();

        // Nor can a task granted Bob's own credential get a token for Ada's by naming it.
        var bobsKey = FakeModelVendor.NewKey("sk-ant-api03-");
        var bobsCredential = await bob.AddCredentialAsync(Store, "claude-code", bobsKey, "bob");
        (await Invoke<CredentialRef?>(new GrantCredentialToTask(bobId, bobsCredential, bobsTask))).ShouldNotBeNull();
        (await IssueToken(id, bobsTask)).ShouldBeNull();
        (await IssueToken(bobsCredential, bobsTask)).ShouldNotBeNull().Token.ShouldNotBe(bobsKey);

        // Ada's credential is untouched: still listed, never used, never tested.
        var adasList = WebUtility.HtmlDecode(await ada.GetHtmlAsync("/settings/agents"));
        adasList.ShouldContain("ada-work");
        adasList.ShouldContain("not tested");
        await using var session = Store.QuerySession();
        var stored = await session.LoadAsync<UserAgentCredential>(id);
        stored!.Secret.ShouldNotBeNull();
        stored.LastUsedAt.ShouldBeNull();
    }

    [Fact]
    public async Task the_owners_task_gets_a_token_never_the_key_and_the_credential_is_marked_used()
    {
        var key = FakeModelVendor.NewKey("sk-proj-");
        using var ada = await SignedUp("ada@example.com");
        var adaId = await UserId("ada@example.com");
        var id = await ada.AddCredentialAsync(Store, "codex-cli", key, "ci", baseUrl: "https://llm-proxy.example.com/v1", model: "gpt-5.5");
        var taskId = Guid.NewGuid();

        // Never granted: nothing.
        (await IssueToken(id, taskId, "codex-cli")).ShouldBeNull();

        var granted = await Invoke<CredentialRef?>(new GrantCredentialToTask(adaId, id, taskId));
        granted!.Label.ShouldBe("ci");
        var access = await IssueToken(id, taskId, "codex-cli");
        access.ShouldNotBeNull();
        access.Token.ShouldStartWith("cat_task_");
        access.Token.ShouldNotContain(key);
        access.Model.ShouldBe("gpt-5.5");
        access.UpstreamBaseUrl.ShouldBe("https://llm-proxy.example.com/v1");
        access.ToString().ShouldNotContain(access.Token);

        await using var session = Store.QuerySession();
        (await session.LoadAsync<UserAgentCredential>(id))!.LastUsedAt.ShouldNotBeNull();
        var list = await ada.GetHtmlAsync("/settings/agents");
        list.ShouldNotContain(">never<");
        list.ShouldNotContain(key);
    }
}
