using System.Net;
using Catalyst.Tests.Infrastructure;

namespace Catalyst.Tests.Hardening;

/// <summary>The error page asked for directly never echoes a status that is not an error (a negative one, a redirect without Location).</summary>
public sealed class the_error_page_answers_only_error_statuses(AppFixture fixture) : IntegrationContext(fixture)
{
    [Theory]
    [InlineData("/error/-1", HttpStatusCode.NotFound)]
    [InlineData("/error/0", HttpStatusCode.NotFound)]
    [InlineData("/error/200", HttpStatusCode.NotFound)]
    [InlineData("/error/302", HttpStatusCode.NotFound)]
    [InlineData("/error/999", HttpStatusCode.NotFound)]
    [InlineData("/error/2147483647", HttpStatusCode.NotFound)]
    [InlineData("/error/404", HttpStatusCode.NotFound)]
    [InlineData("/error/403", HttpStatusCode.Forbidden)]
    [InlineData("/error/503", HttpStatusCode.ServiceUnavailable)]
    public async Task a_status_asked_for_is_echoed_only_when_it_is_an_error(string url, HttpStatusCode expected)
    {
        using var client = NewClient();
        var response = await client.GetAsync(url);

        response.StatusCode.ShouldBe(expected);
        response.Headers.Location.ShouldBeNull();
    }
}
