using System.Net;
using System.Text.RegularExpressions;
using Catalyst.Credentials;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Tasks;
using Marten;

namespace Catalyst.Tests.GitHub;

public sealed class a_default_credential_is_marked_per_agent(AppFixture fixture) : GitHubContext(fixture)
{
    private static Task<HttpResponseMessage> MarkDefault(PageClient client, Guid credential) =>
        client.PostFormAsync($"/settings/agents?handler=Default&id={credential}", new(), formPage: "/settings/agents");

    private async Task<Guid> CredentialId(string label)
    {
        await using var session = Store.QuerySession();
        var key = UserAgentCredential.LabelKeyOf(ScriptAgent.Name, label);
        return (await session.Query<UserAgentCredential>().SingleAsync(c => c.LabelKey == key)).Id;
    }

    private static string[] DefaultRows(string page) =>
        Regex.Matches(page, "<tr id=\"credential-([0-9a-f-]+)\"[^>]*>(?:(?!</tr>)[\\s\\S])*?class=\"badge default-credential\"").Select(m => m.Groups[1].Value).ToArray();

    [Fact]
    public async Task a_comment_runs_with_the_credential_marked_default_for_the_projects_agent_and_the_mark_moves()
    {
        var ada = await ConnectedProject();
        var first = await CredentialId("script");
        var second = await ada.AddScriptCredentialAsync(Store, key: "sk-script-second-5e1d", label: "second");

        var marked = await MarkDefault(ada, second);
        marked.StatusCode.ShouldBe(HttpStatusCode.Redirect, await marked.Content.ReadAsStringAsync());
        marked.Headers.Location!.ToString().ShouldBe("/settings/agents");
        DefaultRows(await ada.GetHtmlAsync("/settings/agents")).ShouldBe([second.ToString()]);

        await Deliver("issue_comment", Payload("issue_comment.created.json", body: "@catalyst-agent exit 0"));
        await Eventually(() => Tasks().Result.Count == 1, "the task from the comment");
        (await Tasks()).Single().CredentialId.ShouldBe(second);

        // One default per agent: marking the other takes the mark from the second.
        (await MarkDefault(ada, first)).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        DefaultRows(await ada.GetHtmlAsync("/settings/agents")).ShouldBe([first.ToString()]);
        (await Invoke<Catalyst.Contracts.CredentialRef?>(new Catalyst.Contracts.FindDefaultUserCredential(await UserId("ada@example.com"), ScriptAgent.Name)))!.Id.ShouldBe(first);
    }

    [Fact]
    public async Task several_credentials_with_none_marked_get_one_reply_that_says_to_mark_one()
    {
        var ada = await ConnectedProject();
        await ada.AddScriptCredentialAsync(Store, key: "sk-script-second-5e1d", label: "second");
        await Deliver("issue_comment", Payload("issue_comment.created.json", body: "@catalyst-agent fix it"));
        var reply = await OnlyReply("the reply to a member with two credentials and no default");
        reply.ShouldContain("2 credentials for it");
        reply.ShouldContain("none marked as the default");
        reply.ShouldContain($"{FakeGitHub.PublicUrl}/settings/agents,");
    }

    [Fact]
    public async Task a_deleted_default_leaves_the_only_other_credential_in_use_and_nobody_marks_anothers_credential()
    {
        var ada = await ConnectedProject();
        var first = await CredentialId("script");
        var second = await ada.AddScriptCredentialAsync(Store, key: "sk-script-second-5e1d", label: "second");
        (await MarkDefault(ada, second)).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await ada.PostFormAsync($"/settings/agents?handler=Delete&id={second}", new(), formPage: "/settings/agents")).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await Invoke<Catalyst.Contracts.CredentialRef?>(new Catalyst.Contracts.FindDefaultUserCredential(await UserId("ada@example.com"), ScriptAgent.Name)))!.Id.ShouldBe(first);

        using var bo = await SignedUp("bo@example.com");
        (await MarkDefault(bo, first)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        DefaultRows(await ada.GetHtmlAsync("/settings/agents")).ShouldBeEmpty();
    }
}
