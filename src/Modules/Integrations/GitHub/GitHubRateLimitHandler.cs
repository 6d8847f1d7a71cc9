using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;

namespace Catalyst.Integrations.GitHub;

/// <summary>
/// GitHub's rate limits: a 403 or 429 that carries <c>retry-after</c>, or <c>x-ratelimit-remaining: 0</c> with
/// <c>x-ratelimit-reset</c>, is waited out and the call sent again, at most <see cref="MaxRetries"/> times and never
/// for longer than the configured bound; a longer wait (or any other 403) goes back to the caller as it came.
/// </summary>
public sealed class GitHubRateLimitHandler(TimeProvider clock, TimeSpan maxWait, ILogger logger) : DelegatingHandler
{
    public const int MaxRetries = 2;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (attempt >= MaxRetries || WaitFor(response, clock.GetUtcNow()) is not { } wait) return response;
            if (wait > maxWait)
            {
                logger.LogWarning("GitHub rate limit on {Method} {Path}: it asks for {Seconds:0} s, more than the {Max:0} s Catalyst waits; the call fails",
                    request.Method, request.RequestUri?.AbsolutePath, wait.TotalSeconds, maxWait.TotalSeconds);
                return response;
            }
            logger.LogInformation("GitHub rate limit on {Method} {Path}: waiting {Seconds:0.#} s before trying again", request.Method, request.RequestUri?.AbsolutePath, wait.TotalSeconds);
            response.Dispose();
            await Task.Delay(wait, clock, cancellationToken);
        }
    }

    /// <summary>How long GitHub asks to wait before the call may be sent again; null when the answer is not a rate limit.</summary>
    public static TimeSpan? WaitFor(HttpResponseMessage response, DateTimeOffset now)
    {
        if (response.StatusCode is not (HttpStatusCode.Forbidden or HttpStatusCode.TooManyRequests)) return null;
        if (response.Headers.RetryAfter is { } retryAfter)
            return retryAfter.Delta ?? (retryAfter.Date is { } date ? Max(date - now) : null);
        if (Header(response, "x-ratelimit-remaining") == "0"
            && long.TryParse(Header(response, "x-ratelimit-reset"), NumberStyles.None, CultureInfo.InvariantCulture, out var reset))
            // The reset is in whole seconds: a second more so as not to arrive just before it.
            return Max(DateTimeOffset.FromUnixTimeSeconds(reset) - now + TimeSpan.FromSeconds(1));
        return null;
    }

    private static TimeSpan Max(TimeSpan wait) => wait < TimeSpan.Zero ? TimeSpan.Zero : wait;

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}
