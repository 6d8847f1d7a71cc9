using System.Net;
using Catalyst.Integrations.GitHub;
using Catalyst.Tests.Infrastructure;

namespace Catalyst.Tests.GitHub;

public sealed class comments_start_tasks_only_for_people_who_may(AppFixture fixture) : GitHubContext(fixture)
{
    [Fact]
    public async Task a_commenter_with_only_read_access_gets_one_reply_and_no_task()
    {
        await ConnectedProject();
        GitHub.Repo.Permissions["stranger"] = "read";
        (await Deliver("issue_comment", Payload("issue_comment.created.json", "stranger", 991, "@catalyst-agent rm -rf /"))).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        var reply = await OnlyReply("the reply to a reader");
        reply.ShouldContain("@stranger");
        reply.ShouldContain("write access to acme/shop");
        reply.ShouldContain("you have read");
        GitHub.CallsSnapshot().ShouldContain(c => c.Path == "/api/v3/repos/acme/shop/collaborators/stranger/permission");
    }

    [Fact]
    public async Task a_bot_gets_one_reply_and_no_task()
    {
        await ConnectedProject();
        GitHub.Repo.Permissions["dependabot[bot]"] = "write";
        await Deliver("issue_comment", Payload("issue_comment.created.json", "dependabot[bot]", 49699333, "@catalyst-agent bump everything", senderType: "Bot"));
        (await OnlyReply("the reply to a bot")).ShouldContain("comments by bots do not start Catalyst tasks");
    }

    [Fact]
    public async Task a_github_user_not_linked_to_an_account_gets_one_reply_and_no_task()
    {
        await ConnectedProject();
        GitHub.Repo.Permissions["grace"] = "admin";
        await Deliver("issue_comment", Payload("issue_comment.created.json", "grace", 777, "@catalyst-agent fix it"));
        var reply = await OnlyReply("the reply to an unlinked user");
        reply.ShouldContain("not linked to a Catalyst account");
        reply.ShouldContain($"{FakeGitHub.PublicUrl}/signin");
        reply.ShouldContain($"{FakeGitHub.PublicUrl}/settings/account");
    }

    [Fact]
    public async Task a_linked_member_without_a_credential_for_the_projects_agent_gets_one_reply_and_no_task()
    {
        await ConnectedProject(withCredential: false);
        await Deliver("issue_comment", Payload("issue_comment.created.json", body: "@catalyst-agent fix it"));
        var reply = await OnlyReply("the reply to a member without a credential");
        reply.ShouldContain("no credential for it");
        reply.ShouldContain($"{FakeGitHub.PublicUrl}/settings/agents/new");
    }

    [Fact]
    public async Task catalysts_own_comments_never_start_a_task()
    {
        await ConnectedProject();
        await Deliver("issue_comment", Payload("issue_comment.created.json",
            body: $"{StartTaskFromGitHubHandler.Marker}\n@ada-l: say what the agent should do after the handle, e.g. `@catalyst-agent fix the failing test`."));
        await Task.Delay(1500);
        (await Tasks()).ShouldBeEmpty();
        GitHub.CallsSnapshot().ShouldBeEmpty();
    }
}
