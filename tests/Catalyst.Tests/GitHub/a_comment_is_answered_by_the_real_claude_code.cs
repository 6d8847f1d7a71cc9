using System.Net;
using Catalyst.Host.Accounts;
using Catalyst.Integrations.GitHub;
using Catalyst.Integrations.Projects;
using Catalyst.Tasks.Domain;
using Catalyst.Tests.Agents;
using Catalyst.Tests.Credentials;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Tasks;
using Marten;

namespace Catalyst.Tests.GitHub;

/// <summary>
/// The whole loop with the real Claude Code CLI in its sandbox, against the scripted model server: a signed
/// <c>@catalyst-agent</c> comment, 👀, the task, the one progress comment edited to its end, the draft pull request.
/// </summary>
[Trait("Category", "Sandbox")]
public sealed class a_comment_is_answered_by_the_real_claude_code(AgentsHostFixture fixture) : AgentTaskContext(fixture)
{
    private const long AdaGitHubId = 583231;
    private const string AdaLogin = "ada-l";
    private FakeGitHub GitHub => Fixture.GitHub;

    [Fact]
    public async Task an_issue_comment_ends_in_a_commit_by_claude_code_one_final_comment_and_a_draft_pull_request_the_task_page_links()
    {
        AgentClis.Require("claude");
        GitHub.ResetRest();
        await using var model = await Fixture.ModelAsync();
        using var ada = new PageClient(Host.Server.CreateHandler());
        var email = $"ada-{Guid.NewGuid():N}@example.com";
        (await ada.PostFormAsync("/signup", new() { ["Email"] = email, ["Password"] = "correct horse battery" })).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        await ada.CreateProjectAsync("app", Sandbox.Origin, 120);
        await using (var session = Store.LightweightSession())
        {
            session.Store((await session.Query<Project>().SingleAsync(p => p.Slug == "app")) with { GitHubRepository = GitHub.Repo.FullName });
            session.Store((await session.Query<CatalystUser>().SingleAsync(u => u.Email == email)) with { GitHubId = AdaGitHubId, GitHubLogin = AdaLogin });
            await session.SaveChangesAsync();
        }
        var credential = await ada.AddCredentialAsync(Store, "claude-code", Key, "claude", model.BaseUrl);
        (await ada.PostFormAsync("/projects/app/github", new() { ["Kind"] = "Token", ["Token"] = FakeGitHub.PersonalToken, ["DefaultAgent"] = "claude-code" }))
            .StatusCode.ShouldBe(HttpStatusCode.Redirect);
        GitHub.Repo.Permissions[AdaLogin] = "write";
        GitHub.AddIssue(12, "Write the agent notes", "We need AGENT_NOTES.md with a line of notes.");

        var payload = GitHubPayloads.Example(GitHub, "issue_comment.created.json", AdaLogin, AdaGitHubId, "@catalyst-agent write AGENT_NOTES.md and commit it", 12);
        var commentId = (long)payload["comment"]!["id"]!;
        using var hook = new PageClient(Host.Server.CreateHandler());
        (await hook.SendAsync(FakeGitHub.Delivery("issue_comment", payload.ToJsonString(), FakeGitHub.WebhookSecret))).StatusCode.ShouldBe(HttpStatusCode.Accepted);

        var taskId = await Eventually(async () =>
        {
            await using var session = Store.QuerySession();
            return (await session.Query<AgentTask>().Where(t => t.ProjectSlug == "app").ToListAsync()).SingleOrDefault()?.Id;
        }, "the task from the comment");
        var task = await FinishedAsync(taskId, 120);
        var logs = await LogsAsync(taskId);
        task.Status.ShouldBe(AgentTaskStatus.Completed, $"{task.Error}\n{Describe(logs)}");
        (task.Provider, task.CredentialId, task.Type).ShouldBe(("claude-code", credential, "issue-fix"));
        task.Commits.ShouldHaveSingleItem().Message.ShouldBe(model.CommitMessage);
        Sandbox.OriginBranch(task.WorkBranch).ShouldBe(task.Commits[0].Sha);
        // The CLI was given the comment's instructions and the issue.
        model.ModelCalls[0].Body.ShouldContain("write AGENT_NOTES.md and commit it");
        model.ModelCalls[0].Body.ShouldContain("We need AGENT_NOTES.md with a line of notes.");

        // 👀 on the comment that asked.
        GitHub.Repo.Reactions.ShouldContain(r => (string)r["content"]! == "eyes" && (long)r["target"]! == commentId);

        // The draft pull request, which closes the issue, recorded on the task.
        var done = await Store.WaitForAsync(taskId, t => t.PullRequestUrl is not null);
        var pr = GitHub.Repo.OpenedPullRequests.ShouldHaveSingleItem();
        ((bool)pr["draft"]!).ShouldBeTrue();
        ((string)pr["head"]!["ref"]!).ShouldBe(task.WorkBranch);
        ((string)pr["body"]!).ShouldContain("Closes #12");
        done.PullRequestUrl.ShouldBe((string)pr["html_url"]!);

        // One comment of Catalyst's, edited in place to its final state.
        await Eventually(() => Task.FromResult<bool?>(Ours().SingleOrDefault()?.Contains("✅ Done") == true ? true : null), "the comment in its final state");
        var comment = Ours().Single();
        comment.ShouldContain(model.CommitMessage);
        comment.ShouldContain("Tokens:");
        comment.ShouldContain(task.WorkBranch);
        comment.ShouldContain(done.PullRequestUrl!);
        comment.ShouldContain("Claude Code");
        GitHub.CallsSnapshot().Count(c => c.Method == "POST" && c.Path == "/api/v3/repos/acme/shop/issues/12/comments").ShouldBe(1);

        // The task page links the pull request.
        var page = WebUtility.HtmlDecode(await ada.GetHtmlAsync($"/projects/app/agents/{taskId}"));
        page.ShouldContain($"href=\"{done.PullRequestUrl}\"");
    }

    private IReadOnlyList<string> Ours() =>
        GitHub.CommentsOn(12).Select(c => (string)c["body"]!).Where(b => b.Contains(StartTaskFromGitHubHandler.Marker)).ToList();

    private static async Task<T> Eventually<T>(Func<Task<T?>> probe, string what, int seconds = 60) where T : struct
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            if (await probe() is { } value) return value;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Not within {seconds} s: {what}");
            await Task.Delay(200);
        }
    }
}
