using System.Net;
using Catalyst.Tests.Infrastructure;

namespace Catalyst.Tests.GitHub;

/// <summary>An archived project takes no new tasks from GitHub either: a comment command gets one reply that says so, and no task.</summary>
public sealed class an_archived_project_refuses_comment_commands(AppFixture fixture) : GitHubContext(fixture)
{
    [Fact]
    public async Task a_comment_on_an_archived_project_gets_one_reply_and_no_task_and_works_again_once_unarchived()
    {
        using var ada = await ConnectedProject();
        var archived = await ada.PostFormAsync($"/projects/{Slug}/edit?handler=Archive", new(), formPage: $"/projects/{Slug}/edit");
        archived.StatusCode.ShouldBe(HttpStatusCode.Redirect, await archived.Content.ReadAsStringAsync());

        (await Deliver("issue_comment", Payload("issue_comment.created.json", body: "@catalyst-agent fix the checkout"))).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        var reply = await OnlyReply("the reply on an archived project");
        reply.ShouldContain($"@{AdaLogin}");
        reply.ShouldContain("is archived and takes no new tasks");
        reply.ShouldContain($"{FakeGitHub.PublicUrl}/projects/{Slug}/edit");

        (await ada.PostFormAsync($"/projects/{Slug}/edit?handler=Unarchive", new(), formPage: $"/projects/{Slug}/edit")).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        await Deliver("issue_comment", Payload("issue_comment.created.json", body: "@catalyst-agent fix the checkout"));
        await Eventually(() => Tasks().GetAwaiter().GetResult().Count == 1, "the task once the project is unarchived");
    }
}
