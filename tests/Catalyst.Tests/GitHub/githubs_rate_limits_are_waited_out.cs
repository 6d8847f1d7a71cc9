using System.Net;
using Catalyst.Integrations.GitHub;
using Catalyst.Tests.Infrastructure;

namespace Catalyst.Tests.GitHub;

public sealed class githubs_rate_limits_are_waited_out(AppFixture fixture) : GitHubContext(fixture)
{
    private int CallsTo(string method, string path) => GitHub.CallsSnapshot().Count(c => c.Method == method && c.Path == "/api/v3" + path);

    [Fact]
    public async Task a_429_with_retry_after_on_the_progress_comment_is_waited_out_and_the_comment_made_once()
    {
        await ConnectedProject();
        GitHub.RateLimitOnce("POST", "/repos/acme/shop/issues/1/comments", 429, new() { ["retry-after"] = "1" });

        (await Deliver("issue_comment", Payload("issue_comment.created.json", body: "@catalyst-agent exit 0"))).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await Eventually(() => Tasks().Result.Count == 1, "the task, after the wait");
        CatalystComments().Count.ShouldBe(1);
        CallsTo("POST", "/repos/acme/shop/issues/1/comments").ShouldBe(2);
        Fixture.Logs.Lines.ShouldContain(l => l.Contains("GitHub rate limit on POST /api/v3/repos/acme/shop/issues/1/comments: waiting 1 s"));
    }

    [Fact]
    public async Task a_403_with_an_exhausted_limit_is_waited_out_until_its_reset()
    {
        await ConnectedProject();
        var reset = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        GitHub.RateLimitOnce("GET", $"/repos/acme/shop/collaborators/{AdaLogin}/permission", 403,
            new() { ["x-ratelimit-remaining"] = "0", ["x-ratelimit-reset"] = reset.ToString() });

        await Deliver("issue_comment", Payload("issue_comment.created.json", body: "@catalyst-agent exit 0"));
        await Eventually(() => Tasks().Result.Count == 1, "the task, after the reset");
        CallsTo("GET", $"/repos/acme/shop/collaborators/{AdaLogin}/permission").ShouldBe(2);
    }

}

/// <summary>The rate-limit rules without a GitHub: what an answer asks, and how often a call is tried.</summary>
public sealed class githubs_rate_limit_answers
{
    private static HttpResponseMessage Answer(HttpStatusCode status, params (string Name, string Value)[] headers)
    {
        var response = new HttpResponseMessage(status);
        foreach (var (name, value) in headers) response.Headers.TryAddWithoutValidation(name, value);
        return response;
    }

    private static readonly DateTimeOffset Now = new(2026, 11, 30, 3, 0, 0, TimeSpan.Zero);

    [Fact]
    public void retry_after_in_seconds_or_as_a_date_is_the_wait()
    {
        GitHubRateLimitHandler.WaitFor(Answer(HttpStatusCode.TooManyRequests, ("retry-after", "30")), Now).ShouldBe(TimeSpan.FromSeconds(30));
        GitHubRateLimitHandler.WaitFor(Answer(HttpStatusCode.Forbidden, ("retry-after", Now.AddSeconds(12).ToString("R"))), Now).ShouldBe(TimeSpan.FromSeconds(12));
    }

    [Fact]
    public void an_exhausted_limit_waits_until_a_second_after_its_reset()
    {
        var reset = Now.AddSeconds(20).ToUnixTimeSeconds().ToString();
        GitHubRateLimitHandler.WaitFor(Answer(HttpStatusCode.Forbidden, ("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", reset)), Now).ShouldBe(TimeSpan.FromSeconds(21));
        // A reset already past: try again at once.
        GitHubRateLimitHandler.WaitFor(Answer(HttpStatusCode.Forbidden, ("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", Now.AddSeconds(-5).ToUnixTimeSeconds().ToString())), Now).ShouldBe(TimeSpan.Zero);
    }

    [Fact]
    public void a_403_that_is_not_a_rate_limit_and_other_answers_are_not_retried()
    {
        GitHubRateLimitHandler.WaitFor(Answer(HttpStatusCode.Forbidden), Now).ShouldBeNull();
        GitHubRateLimitHandler.WaitFor(Answer(HttpStatusCode.Forbidden, ("x-ratelimit-remaining", "12"), ("x-ratelimit-reset", "1800000000")), Now).ShouldBeNull();
        GitHubRateLimitHandler.WaitFor(Answer(HttpStatusCode.NotFound, ("retry-after", "5")), Now).ShouldBeNull();
    }

    /// <summary>Sends one call through the handler to a server that always gives <paramref name="answer"/>: what came back and how often it was sent.</summary>
    private static async Task<(HttpStatusCode Status, int Sent)> SendAgainst(Func<HttpResponseMessage> answer)
    {
        var sent = 0;
        using var handler = new GitHubRateLimitHandler(TimeProvider.System, TimeSpan.FromSeconds(60), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance)
        {
            InnerHandler = new Answering(() => { sent++; return answer(); }),
        };
        using var client = new HttpMessageInvoker(handler);
        using var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "http://127.0.0.1/api/v3/rate"), CancellationToken.None);
        return (response.StatusCode, sent);
    }

    [Fact]
    public async Task a_wait_longer_than_the_bound_fails_the_call_without_retrying_it() =>
        (await SendAgainst(() => Answer(HttpStatusCode.TooManyRequests, ("retry-after", "3600")))).ShouldBe((HttpStatusCode.TooManyRequests, 1));

    [Fact]
    public async Task a_limit_that_never_lifts_is_tried_a_bounded_number_of_times() =>
        (await SendAgainst(() => Answer(HttpStatusCode.TooManyRequests, ("retry-after", "0")))).ShouldBe((HttpStatusCode.TooManyRequests, 1 + GitHubRateLimitHandler.MaxRetries));

    private sealed class Answering(Func<HttpResponseMessage> answer) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => Task.FromResult(answer());
    }
}
