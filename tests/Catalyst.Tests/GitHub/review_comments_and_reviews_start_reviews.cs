using System.Net;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Tasks;

namespace Catalyst.Tests.GitHub;

public sealed class review_comments_and_reviews_start_reviews(AppFixture fixture) : GitHubContext(fixture)
{
    private void APullRequest()
    {
        GitHub.AddPullRequest(5, "Add a cart total", "Sums the cart.", "feature/cart");
        GitHub.AddFile(5, "src/cart.js", "@@ -1,3 +1,4 @@\n const items = [];\n+const total = 0;\n export default items;", 1, 0);
    }

    [Fact]
    public async Task a_review_comment_naming_the_handle_starts_a_review_with_that_comment_in_its_context()
    {
        await ConnectedProject();
        APullRequest();
        var payload = Payload("pull_request_review_comment.created.json", body: "@catalyst-agent # review: is this line right?\necho 'It is.'\nexit 0", number: 5);
        var commentId = (long)payload["comment"]!["id"]!;

        (await Deliver("pull_request_review_comment", payload)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await Eventually(() => Tasks().Result.Count == 1, "the review task");
        var task = await Store.WaitUntilFinishedAsync((await Tasks()).Single().Id);
        task.Type.ShouldBe("pr-review");
        task.Context.Snapshot!.ShouldContain("## The review comment that asked for this");
        task.Context.Snapshot!.ShouldContain("is this line right?");
        GitHub.Repo.Reactions.ShouldContain(r => (string)r["kind"]! == "review_comment" && (long)r["target"]! == commentId && (string)r["content"]! == "eyes");
        await Eventually(() => GitHub.Repo.Reviews.Count == 1, "the review");
        ((string)GitHub.Repo.Reviews.Single()["body"]!).ShouldContain("It is.");
    }

    [Fact]
    public async Task a_submitted_review_naming_the_handle_starts_a_review_and_one_without_it_starts_nothing()
    {
        await ConnectedProject();
        APullRequest();
        var quiet = Payload("pull_request_review.submitted.json", number: 5);
        quiet["review"]!["body"] = "Looks fine.";
        (await Deliver("pull_request_review", quiet)).IsSuccessStatusCode.ShouldBeTrue();

        var asking = Payload("pull_request_review.submitted.json", number: 5);
        asking["review"]!["body"] = "@catalyst-agent echo 'Second opinion: fine.'\nexit 0";
        (await Deliver("pull_request_review", asking)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await Eventually(() => Tasks().Result.Count == 1, "the task from the review");
        var task = await Store.WaitUntilFinishedAsync((await Tasks()).Single().Id);
        task.Type.ShouldBe("pr-review");
        task.Context.ToString().ShouldBe("pull_request #5");
        GitHub.Repo.Reactions.ShouldContain(r => (string)r["kind"]! == "issue" && (long)r["target"]! == 5);
        await Task.Delay(500);
        (await Tasks()).Count.ShouldBe(1);
    }
}
