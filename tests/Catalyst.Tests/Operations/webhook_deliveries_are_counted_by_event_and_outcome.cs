using System.Net;
using Catalyst.Tests.GitHub;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Tasks;

namespace Catalyst.Tests.Operations;

public sealed class webhook_deliveries_are_counted_by_event_and_outcome(AppFixture fixture) : GitHubContext(fixture)
{
    private HttpClient Scraper() => new(Host.Server.CreateHandler()) { BaseAddress = new Uri("http://localhost") };

    [Fact]
    public async Task each_delivery_is_counted_once_under_its_event_and_what_became_of_it()
    {
        await ConnectedProject();
        using var http = Scraper();
        var before = await PrometheusScrape.ReadAsync(http);
        var comment = Payload("issue_comment.created.json", body: "@catalyst-agent exit 0");
        var delivery = Guid.NewGuid().ToString();

        (await Deliver("issue_comment", comment, deliveryId: delivery)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        (await Deliver("issue_comment", comment, deliveryId: delivery)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await Deliver("issue_comment", comment, secret: "not-the-secret")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var edited = Payload("issue_comment.created.json", body: "@catalyst-agent exit 0");
        edited["action"] = "edited"; // only new comments ask for work
        (await Deliver("issue_comment", edited)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        (await Deliver("star", Payload("star.created.json"))).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        (await NewClient().SendAsync(FakeGitHub.Delivery("issue_comment", "{\"action\": \"created\"}", FakeGitHub.WebhookSecret)))
            .StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        var after = await PrometheusScrape.ReadAsync(http);
        after.Types["catalyst_webhook_deliveries_total"].ShouldBe("counter");
        double Delta(string eventName, string outcome) =>
            after.Value("catalyst_webhook_deliveries_total", ("source", "github"), ("event", eventName), ("outcome", outcome))
            - before.Value("catalyst_webhook_deliveries_total", ("source", "github"), ("event", eventName), ("outcome", outcome));
        Delta("issue_comment", "accepted").ShouldBe(1);
        Delta("issue_comment", "duplicate").ShouldBe(1);
        Delta("issue_comment", "refused").ShouldBe(1);
        Delta("issue_comment", "ignored").ShouldBe(1);
        Delta("issue_comment", "bad_request").ShouldBe(1);
        // An event name is the sender's word: one Catalyst does not know is counted as "other", never as itself.
        Delta("other", "ignored").ShouldBe(1);
        after.Samples.ShouldNotContain(s => s.Name == "catalyst_webhook_deliveries_total" && s.Labels["event"] == "star");
        (after.Value("catalyst_webhook_deliveries_total") - before.Value("catalyst_webhook_deliveries_total")).ShouldBe(6);

        // The accepted comment's work ends here, not in the next test (whose Ada and "shop" it would find by GitHub id and slug).
        await Eventually(() => Tasks().Result.Count == 1, "the accepted comment's task");
        await Store.WaitUntilFinishedAsync((await Tasks()).Single().Id);
    }
}
