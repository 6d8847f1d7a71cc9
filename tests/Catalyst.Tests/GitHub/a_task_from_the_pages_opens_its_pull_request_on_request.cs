using System.Net;
using Catalyst.Tasks.Domain;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Tasks;

namespace Catalyst.Tests.GitHub;

public sealed class a_task_from_the_pages_opens_its_pull_request_on_request(AppFixture fixture) : GitHubContext(fixture)
{
    [Fact]
    public async Task open_pull_request_on_a_completed_task_opens_a_draft_from_its_branch_and_links_it()
    {
        var ada = await ConnectedProject();
        var credential = await ada.AddScriptCredentialAsync(Store, label: "pages");
        var taskId = await ada.StartTaskAsync(Slug, credential, "# Add a changelog\necho '# Changes' > CHANGELOG.md\nexit 0");
        var task = await Store.WaitUntilFinishedAsync(taskId);
        task.Status.ShouldBe(AgentTaskStatus.Completed, task.Error);
        GitHub.Repo.OpenedPullRequests.ShouldBeEmpty(); // a task from the pages opens nothing by itself

        var page = await ada.GetHtmlAsync($"/projects/{Slug}/agents/{taskId}");
        page.ShouldContain("id=\"open-pull-request\"");
        var response = await ada.PostFormAsync($"/projects/{Slug}/agents/{taskId}/pull-request", new(), formPage: $"/projects/{Slug}/agents/{taskId}");
        response.StatusCode.ShouldBe(HttpStatusCode.Redirect, await response.Content.ReadAsStringAsync());

        var pr = GitHub.Repo.OpenedPullRequests.Single();
        ((bool)pr["draft"]!).ShouldBeTrue();
        ((string)pr["head"]!["ref"]!).ShouldBe(task.WorkBranch);
        ((string)pr["title"]!).ShouldBe("# Add a changelog");
        var linked = await Store.WaitForAsync(taskId, t => t.PullRequestUrl is not null);
        linked.PullRequestUrl.ShouldBe((string)pr["html_url"]!);
        var after = await ada.GetHtmlAsync($"/projects/{Slug}/agents/{taskId}");
        after.ShouldContain($"href=\"{linked.PullRequestUrl}\"");
        after.ShouldNotContain("id=\"open-pull-request\"");
    }

    [Fact]
    public async Task a_label_on_an_issue_starts_a_fix_of_that_issue()
    {
        await ConnectedProject();
        GitHub.AddIssue(12, "Typo on the home page", "exit 0");
        var payload = Payload("issues.labeled.json", number: 12);
        payload["label"]!["name"] = "catalyst-agent";
        (await Deliver("issues", payload)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await Eventually(() => Tasks().Result.Count == 1, "the fix started by the label");
        var task = (await Tasks()).Single();
        task.Type.ShouldBe("issue-fix");
        task.Instructions.ShouldStartWith("Fix issue #12: Typo on the home page");
        GitHub.Repo.Reactions.ShouldContain(r => (string)r["kind"]! == "issue" && (long)r["target"]! == 12);

        var other = Payload("issues.labeled.json", number: 12);
        other["label"]!["name"] = "bug";
        await Deliver("issues", other);
        await Task.Delay(1000);
        (await Tasks()).Count.ShouldBe(1);
    }
}
