using System.Net;
using Catalyst.Integrations.GitHub;
using Catalyst.Tasks.Domain;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Tasks;

namespace Catalyst.Tests.GitHub;

public sealed class a_comment_runs_a_task_to_a_draft_pull_request(AppFixture fixture) : GitHubContext(fixture)
{
    private const string Script = """
        @catalyst-agent echo "fixed" >> README.md
        git commit -qam "Fix the README typo"
        echo "I fixed the typo in the README."
        exit 0
        """;

    private async Task<(AgentTask Task, PageClient Ada)> RunFromIssueComment(GitHubAuthKind kind)
    {
        var ada = await ConnectedProject(kind);
        GitHub.AddIssue(7, "README has a typo", "The second line says 'teh'.", "bug");
        GitHub.AddComment(7, "reporter", "Still there on main.");
        var payload = Payload("issue_comment.created.json", body: Script, number: 7);
        var commentId = (long)payload["comment"]!["id"]!;

        (await Deliver("issue_comment", payload)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await Eventually(() => Tasks().Result.Count == 1, "the task from the comment");
        var task = await Store.WaitUntilFinishedAsync((await Tasks()).Single().Id);
        task.Status.ShouldBe(AgentTaskStatus.Completed, task.Error);

        // 👀 on the very comment that asked.
        GitHub.Repo.Reactions.ShouldContain(r => (string)r["content"]! == "eyes" && (long)r["target"]! == commentId && (string)r["kind"]! == "issue_comment");
        task.Origin.ShouldBe(new Catalyst.Contracts.TaskOrigin("github", AdaLogin, "acme/shop"));
        task.Type.ShouldBe("issue-fix");
        task.Context.Kind.ShouldBe("issue");
        task.Context.Number.ShouldBe(7);
        task.Context.Snapshot!.ShouldContain("README has a typo");
        task.Context.Snapshot!.ShouldContain("Still there on main.");
        task.Context.Snapshot!.ShouldContain("labels: bug");

        await Eventually(() => GitHub.Repo.OpenedPullRequests.Count == 1, "the draft pull request");
        var done = await Store.WaitForAsync(task.Id, t => t.PullRequestUrl is not null);
        await Eventually(() => CatalystComments(7).Single().Contains("✅ Done"), "the comment in its final state");
        return (done, ada);
    }

    [Fact]
    public async Task an_issue_comment_by_a_writer_ends_in_one_edited_comment_and_a_draft_pull_request_that_closes_the_issue()
    {
        var (task, ada) = await RunFromIssueComment(GitHubAuthKind.Token);

        var pr = GitHub.Repo.OpenedPullRequests.Single();
        ((bool)pr["draft"]!).ShouldBeTrue();
        ((string)pr["head"]!["ref"]!).ShouldBe(task.WorkBranch);
        ((string)pr["base"]!["ref"]!).ShouldBe("main");
        ((string)pr["title"]!).ShouldBe("Fix #7: README has a typo");
        ((string)pr["body"]!).ShouldContain("Closes #7");
        ((string)pr["body"]!).ShouldContain($"{FakeGitHub.PublicUrl}/projects/{Slug}/agents/{task.Id}");
        task.PullRequestUrl.ShouldBe((string)pr["html_url"]!);
        Sandbox.OriginBranch(task.WorkBranch).ShouldBe(task.Commits[^1].Sha);

        // One comment, created once and edited in place to its end.
        var comment = CatalystComments(7).Single();
        comment.ShouldContain("Fix the README typo");
        comment.ShouldContain(task.WorkBranch);
        comment.ShouldContain(task.PullRequestUrl!);
        comment.ShouldContain("Tokens:");
        var calls = GitHub.CallsSnapshot();
        calls.Count(c => c.Method == "POST" && c.Path == "/api/v3/repos/acme/shop/issues/7/comments").ShouldBe(1);
        calls.Count(c => c.Method == "PATCH" && c.Path.StartsWith("/api/v3/repos/acme/shop/issues/comments/")).ShouldBeGreaterThanOrEqualTo(2);

        // The task page links the pull request and shows what the agent was given.
        var page = WebUtility.HtmlDecode(await ada.GetHtmlAsync($"/projects/{Slug}/agents/{task.Id}"));
        page.ShouldContain($"href=\"{task.PullRequestUrl}\"");
        page.ShouldContain("id=\"task-context\"");
        page.ShouldContain("README has a typo");
        page.ShouldContain("Pull request #900 opened");
    }

    [Fact]
    public async Task a_github_app_connection_acts_with_installation_tokens_from_its_jwt()
    {
        var (task, _) = await RunFromIssueComment(GitHubAuthKind.App);
        var calls = GitHub.CallsSnapshot();
        calls.ShouldContain(c => c.Method == "POST" && c.Path == $"/api/v3/app/installations/{FakeGitHub.InstallationId}/access_tokens" && c.Authorization.StartsWith("Bearer "));
        // Every repository call carries an installation token, never the JWT; one token serves the whole task.
        var repositoryCalls = calls.Where(c => c.Path.StartsWith("/api/v3/repos/")).ToList();
        repositoryCalls.ShouldAllBe(c => c.Authorization.StartsWith("Token ghs_"));
        calls.Count(c => c.Path.EndsWith("/access_tokens")).ShouldBe(1);
        task.PullRequestUrl.ShouldNotBeNull();
    }

    [Fact]
    public async Task a_failed_task_says_why_and_how_to_retry_in_its_comment()
    {
        await ConnectedProject();
        GitHub.AddIssue(8, "Crash on start", "It crashes.");
        await Deliver("issue_comment", Payload("issue_comment.created.json", body: "@catalyst-agent echo 'cannot reproduce' >&2\nexit 4", number: 8));
        await Eventually(() => Tasks().Result.Count == 1, "the task");
        var task = await Store.WaitUntilFinishedAsync((await Tasks()).Single().Id);
        task.Status.ShouldBe(AgentTaskStatus.Failed);
        await Eventually(() => CatalystComments(8).Single().Contains("❌ Failed"), "the failure in the comment");
        var comment = CatalystComments(8).Single();
        comment.ShouldContain("code 4");
        comment.ShouldContain("press Retry");
        GitHub.Repo.OpenedPullRequests.ShouldBeEmpty();
    }

    [Fact]
    public async Task a_comment_on_a_pull_request_runs_a_review_with_the_diff_and_review_threads_and_posts_it_as_a_review()
    {
        await ConnectedProject();
        GitHub.AddPullRequest(5, "Add a cart total", "Sums the cart.", "feature/cart");
        GitHub.AddFile(5, "src/cart.js", "@@ -1,3 +1,4 @@\n const items = [];\n+const total = items.reduce((a, b) => a + b.price, 0);\n export default items;", 1, 0);
        var root = GitHub.AddReviewComment(5, "reviewer", "src/cart.js", "@@ -1,3 +1,4 @@\n const items = [];\n+const total = items.reduce((a, b) => a + b.price, 0);", "What about an empty cart?");
        GitHub.AddReviewComment(5, "contributor", "src/cart.js", "@@ -1,3 +1,4 @@\n const items = [];\n+const total = items.reduce((a, b) => a + b.price, 0);", "reduce starts at 0", (long)root["id"]!);
        var payload = Payload("issue_comment.created.json", body: "@catalyst-agent # review the cart total\necho 'The total handles an empty cart; approve.'\nexit 0", number: 5);
        payload["issue"]!["pull_request"] = new System.Text.Json.Nodes.JsonObject { ["url"] = "https://api.github.example/repos/acme/shop/pulls/5" };

        await Deliver("issue_comment", payload);
        await Eventually(() => Tasks().Result.Count == 1, "the review task");
        var task = await Store.WaitUntilFinishedAsync((await Tasks()).Single().Id);
        task.Type.ShouldBe("pr-review");
        task.Context.Snapshot!.ShouldContain("+const total = items.reduce");
        task.Context.Snapshot!.ShouldContain("### src/cart.js line 2");
        task.Context.Snapshot!.ShouldContain("**@reviewer**: What about an empty cart?");
        task.Context.Snapshot!.ShouldContain("**@contributor**: reduce starts at 0");
        task.Context.Snapshot!.ShouldContain("Head `feature/cart` → base `main`");

        await Eventually(() => GitHub.Repo.Reviews.Count == 1, "the review");
        var review = GitHub.Repo.Reviews.Single();
        ((string)review["event"]!).ShouldBe("COMMENT");
        ((string)review["body"]!).ShouldContain("The total handles an empty cart; approve.");
        GitHub.Repo.OpenedPullRequests.ShouldBeEmpty();
    }

    [Fact]
    public async Task no_secret_of_the_connection_reaches_a_log_a_page_a_comment_or_the_task()
    {
        var (task, ada) = await RunFromIssueComment(GitHubAuthKind.App);
        var ownHookSecret = "repo-hook-secret-0a9c77e1";
        (await ada.PostFormAsync($"/projects/{Slug}/github", new() { ["Kind"] = "App", ["AppId"] = FakeGitHub.AppId.ToString(),
            ["InstallationId"] = FakeGitHub.InstallationId.ToString(), ["WebhookSecret"] = ownHookSecret, ["DefaultAgent"] = ScriptAgent.Name })).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var keyBody = FakeGitHub.AppPrivateKey.Split('\n')[1]; // a line of the key's base64
        string[] secrets = [FakeGitHub.PersonalToken, FakeGitHub.WebhookSecret, ownHookSecret, keyBody, .. GitHub.InstallationTokens];
        GitHub.InstallationTokens.ShouldNotBeEmpty();

        var seen = new List<string>
        {
            await ada.GetHtmlAsync($"/projects/{Slug}/github"),
            await ada.GetHtmlAsync($"/projects/{Slug}/agents/{task.Id}"),
            await ada.GetHtmlAsync($"/projects/{Slug}"),
            string.Join("\n", Fixture.Logs.Lines),
            string.Join("\n", (await Host.Services.LogsAsync(task.Id)).Select(l => l.Message)),
            task.Instructions, task.Context.Snapshot ?? "",
            string.Join("\n", GitHub.CommentsOn(7).Select(c => c.ToJsonString())),
            string.Join("\n", GitHub.Repo.OpenedPullRequests.Select(p => p.ToJsonString())),
        };
        await using (var session = Store.QuerySession())
        {
            seen.Add(string.Join("\n", await session.QueryAsync<string>("select data::text from integrations.mt_doc_githubconnection")));
            seen.Add(string.Join("\n", await session.QueryAsync<string>("select data::text from credentials.mt_doc_projectsecret")));
        }
        foreach (var text in seen)
            foreach (var secret in secrets)
                text.ShouldNotContain(secret);
        seen[0].ShouldContain("stored: a PEM private key");
    }

    [Fact]
    public async Task a_change_asked_on_a_pull_request_goes_on_a_branch_of_its_own_proposed_back_to_the_pull_requests_branch()
    {
        await ConnectedProject();
        Sandbox.Git(Sandbox.Root, "--git-dir", Sandbox.Origin, "branch", "feature/cart", "main");
        var head = Sandbox.OriginBranch("feature/cart");
        GitHub.AddPullRequest(6, "Add a cart total", "Sums the cart.", "feature/cart");
        var payload = Payload("issue_comment.created.json", body: "@catalyst-agent echo tidy >> README.md\ngit commit -qam 'Tidy the README'\nexit 0", number: 6);
        payload["issue"]!["pull_request"] = new System.Text.Json.Nodes.JsonObject { ["url"] = "https://api.github.example/repos/acme/shop/pulls/6" };

        await Deliver("issue_comment", payload);
        await Eventually(() => Tasks().Result.Count == 1, "the task on the pull request");
        var task = await Store.WaitUntilFinishedAsync((await Tasks()).Single().Id);
        task.Status.ShouldBe(AgentTaskStatus.Completed, task.Error);
        task.Type.ShouldBe("feature-dev");
        task.BaseBranch.ShouldBe("feature/cart");

        await Eventually(() => GitHub.Repo.OpenedPullRequests.Count == 1, "the pull request into the pull request's branch");
        var pr = GitHub.Repo.OpenedPullRequests.Single();
        ((string)pr["base"]!["ref"]!).ShouldBe("feature/cart");
        ((string)pr["head"]!["ref"]!).ShouldBe(task.WorkBranch);
        ((string)pr["body"]!).ShouldNotContain("Closes #");
        // Someone else's branch is never pushed to.
        Sandbox.OriginBranch("feature/cart").ShouldBe(head);
        Sandbox.OriginBranch(task.WorkBranch).ShouldBe(task.Commits[^1].Sha);
        GitHub.Repo.Reviews.ShouldBeEmpty();
    }
}
