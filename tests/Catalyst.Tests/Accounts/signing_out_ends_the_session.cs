using System.Net;
using Catalyst.Tests.Infrastructure;

namespace Catalyst.Tests.Accounts;

/// <summary>Sign-out ends the session on the server, and no page is kept by a browser for Back to show afterwards.</summary>
public sealed class signing_out_ends_the_session(AppFixture fixture) : IntegrationContext(fixture)
{
    [Fact]
    public async Task a_cookie_copied_before_sign_out_no_longer_opens_a_page()
    {
        using var ada = await SignedUp("ada@example.com");
        (await ada.GetAsync("/projects")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var copied = ada.Cookies.GetCookieHeader(new Uri("http://localhost/"));
        copied.ShouldContain("catalyst.session=");

        // The copy works while the session is open.
        (await WithCookie(copied, "/projects")).StatusCode.ShouldBe(HttpStatusCode.OK);

        (await ada.PostFormAsync("/signout", new(), formPage: "/projects")).StatusCode.ShouldBe(HttpStatusCode.Redirect);

        var after = await WithCookie(copied, "/projects");
        after.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        after.Headers.Location!.ToString().ShouldStartWith("http://localhost/signin");
    }

    [Fact]
    public async Task signing_out_in_one_browser_leaves_the_other_signed_in()
    {
        using var laptop = await SignedUp("ada@example.com");
        using var phone = NewClient();
        (await phone.PostFormAsync("/signin", new() { ["Email"] = "ada@example.com", ["Password"] = "correct horse battery" })).StatusCode.ShouldBe(HttpStatusCode.Redirect);

        (await laptop.PostFormAsync("/signout", new(), formPage: "/projects")).StatusCode.ShouldBe(HttpStatusCode.Redirect);

        (await phone.GetAsync("/projects")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await laptop.GetAsync("/projects")).StatusCode.ShouldBe(HttpStatusCode.Redirect);
    }

    [Fact]
    public async Task pages_tell_browsers_not_to_store_them()
    {
        using var ada = await SignedUp("ada@example.com");
        foreach (var url in new[] { "/projects", "/settings/tokens", "/settings/agents", "/signin" })
        {
            var response = await ada.GetAsync(url);
            response.Headers.CacheControl?.NoStore.ShouldBe(true, url);
        }
    }

    private async Task<HttpResponseMessage> WithCookie(string cookie, string url)
    {
        using var http = new HttpClient(Host.Server.CreateHandler()) { BaseAddress = new Uri("http://localhost") };
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Add("Cookie", cookie);
        return await http.SendAsync(request);
    }
}
