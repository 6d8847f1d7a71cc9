using System.Net;
using System.Text.RegularExpressions;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Tasks;

namespace Catalyst.Tests.GitHub;

public sealed class pull_request_and_issue_pages(AppFixture fixture) : GitHubContext(fixture)
{
    private void APullRequestUnderReview()
    {
        GitHub.AddPullRequest(5, "Add a cart total", "Sums the cart.", "feature/cart");
        GitHub.AddComment(5, "reviewer", "Nice, one question below.");
        GitHub.AddFile(5, "src/cart.js", "@@ -1,3 +1,4 @@\n const items = [];\n+const total = items.reduce((a, b) => a + b.price, 0);\n export default items;", 1, 0);
        GitHub.AddReviewComment(5, "reviewer", "src/cart.js", "@@ -1,3 +1,4 @@\n const items = [];\n+const total = items.reduce((a, b) => a + b.price, 0);", "What about an empty cart?");
    }

    [Fact]
    public async Task the_lists_show_open_pull_requests_and_issues_with_the_tasks_run_on_each()
    {
        var ada = await ConnectedProject();
        APullRequestUnderReview();
        GitHub.AddIssue(9, "Prices round wrongly", "0.1 + 0.2");
        var credential = await ada.AddScriptCredentialAsync(Store, label: "second");
        var fix = await ada.PostFormAsync($"/projects/{Slug}/agents/new", new()
        {
            ["Type"] = "issue-fix", ["Provider"] = ScriptAgent.Name, ["CredentialId"] = credential.ToString(), ["Instructions"] = "exit 0",
            ["ContextKind"] = "issue", ["ContextNumber"] = "9",
        });
        fix.StatusCode.ShouldBe(HttpStatusCode.Redirect);

        var pulls = WebUtility.HtmlDecode(await ada.GetHtmlAsync($"/projects/{Slug}/pulls"));
        pulls.ShouldContain("id=\"item-5\"");
        pulls.ShouldContain("Add a cart total");
        pulls.ShouldNotContain("Prices round wrongly");

        var issues = WebUtility.HtmlDecode(await ada.GetHtmlAsync($"/projects/{Slug}/issues"));
        issues.ShouldContain("Prices round wrongly");
        issues.ShouldContain("Checkout fails with an empty cart");
        issues.ShouldNotContain("Add a cart total"); // a pull request is not listed as an issue
        Regex.IsMatch(issues, "id=\"item-9\"[\\s\\S]*?issue-fix").ShouldBeTrue();
    }

    [Fact]
    public async Task a_pull_requests_page_shows_its_diff_and_review_threads_and_invoke_agent_gives_them_to_the_task()
    {
        var ada = await ConnectedProject();
        APullRequestUnderReview();

        var page = WebUtility.HtmlDecode(await ada.GetHtmlAsync($"/projects/{Slug}/pulls/5"));
        page.ShouldContain("Add a cart total");
        page.ShouldContain("<code>feature/cart</code> → <code>main</code>");
        page.ShouldContain("+const total = items.reduce((a, b) => a + b.price, 0);");
        page.ShouldContain("<code>src/cart.js</code> line 2");
        page.ShouldContain("What about an empty cart?");
        page.ShouldContain("Nice, one question below.");
        var invoke = Regex.Match(page, "id=\"invoke-agent\" href=\"([^\"]+)\"").Groups[1].Value;
        invoke.ShouldStartWith($"/projects/{Slug}/agents/new?Type=pr-review&ContextKind=pull_request&ContextNumber=5");

        var form = WebUtility.HtmlDecode(await ada.GetHtmlAsync(invoke));
        Regex.IsMatch(form, "<option (selected=\"selected\" value=\"pr-review\"|value=\"pr-review\" selected=\"selected\")").ShouldBeTrue();
        form.ShouldContain("Review pull request #5: Add a cart total.");
        form.ShouldContain("About pull request #5");

        var credential = await ada.AddScriptCredentialAsync(Store, label: "review");
        var created = await ada.PostFormAsync($"/projects/{Slug}/agents/new", new()
        {
            ["Type"] = "pr-review", ["Provider"] = ScriptAgent.Name, ["CredentialId"] = credential.ToString(),
            ["Instructions"] = "echo 'Reviewed: an empty cart sums to 0.'\nexit 0", ["ContextKind"] = "pull_request", ["ContextNumber"] = "5",
        }, formPage: invoke);
        created.StatusCode.ShouldBe(HttpStatusCode.Redirect, await created.Content.ReadAsStringAsync());
        var taskId = Guid.Parse(created.Headers.Location!.ToString().Split('/').Last());
        var task = await Store.WaitUntilFinishedAsync(taskId);
        task.Context.ToString().ShouldBe("pull_request #5");
        task.Context.Snapshot!.ShouldContain("+const total = items.reduce");
        task.Context.Snapshot!.ShouldContain("### src/cart.js line 2");
        task.Context.Snapshot!.ShouldContain("What about an empty cart?");
        // What the agent was given: its instructions, then the snapshot (the runner writes both into its prompt file).
        (await Host.Services.LogsAsync(taskId)).ShouldContain(l => l.Message == "Reviewed: an empty cart sums to 0.");
        var taskPage = WebUtility.HtmlDecode(await ada.GetHtmlAsync($"/projects/{Slug}/agents/{taskId}"));
        taskPage.ShouldContain("id=\"task-context\"");
        taskPage.ShouldContain("What about an empty cart?");
    }

    [Fact]
    public async Task a_project_without_a_connection_says_so_instead_of_failing()
    {
        var ada = await SignedUp("bo@example.com");
        await ada.CreateProjectAsync("plain", Sandbox.Origin);
        (await ada.GetHtmlAsync("/projects/plain/pulls")).ShouldContain("not connected to GitHub yet");
        (await ada.GetAsync("/projects/nobody-has-this/issues")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }
}
