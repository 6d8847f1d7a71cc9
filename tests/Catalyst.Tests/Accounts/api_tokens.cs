using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Catalyst.Host.Accounts;
using Catalyst.Tests.Infrastructure;
using Marten;

namespace Catalyst.Tests.Accounts;

public sealed partial class api_tokens(AppFixture fixture) : IntegrationContext(fixture)
{
    [GeneratedRegex("<pre class=\"secret\" id=\"new-token\">(cat_[A-Za-z0-9_-]+)</pre>")]
    private static partial Regex ShownToken();

    private async Task<string> CreateToken(PageClient client, string name)
    {
        var response = await client.PostFormAsync("/settings/tokens?handler=Create", new() { ["Name"] = name }, formPage: "/settings/tokens");
        var html = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, html);
        var token = ShownToken().Match(html).Groups[1].Value;
        token.ShouldNotBeNullOrEmpty();
        return token;
    }

    private HttpRequestMessage Bearer(string url, string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    [Fact]
    public async Task a_token_is_shown_once_stored_as_a_hash_and_accepted_as_bearer()
    {
        using var ada = await SignedUp("ada@example.com");
        var token = await CreateToken(ada, "laptop");

        // Listed afterwards by name and prefix only.
        var list = await ada.GetHtmlAsync("/settings/tokens");
        list.ShouldContain("laptop");
        list.ShouldNotContain(token);

        await using (var session = Store.QuerySession())
        {
            var stored = await session.Query<ApiToken>().SingleAsync();
            stored.Hash.ShouldBe(ApiTokenHandler.Hash(token));
            stored.Hash.ShouldNotContain(token);
        }

        using var machine = NewClient();
        var response = await machine.SendAsync(Bearer("/api/projects", token));
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task a_missing_wrong_or_revoked_token_gets_401()
    {
        using var ada = await SignedUp("ada@example.com");
        var token = await CreateToken(ada, "ci");
        using var machine = NewClient();

        var missing = await machine.GetAsync("/api/projects");
        missing.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        missing.Headers.WwwAuthenticate.ToString().ShouldBe("Bearer realm=\"catalyst\"");
        var wrong = await machine.SendAsync(Bearer("/api/projects", token + "x"));
        wrong.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        wrong.Headers.WwwAuthenticate.ToString().ShouldBe("Bearer realm=\"catalyst\", error=\"invalid_token\"");

        await using (var session = Store.QuerySession())
        {
            var id = (await session.Query<ApiToken>().SingleAsync()).Id;
            var revoke = await ada.PostFormAsync($"/settings/tokens?handler=Revoke&id={id}", new(), formPage: "/settings/tokens");
            revoke.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        }
        (await machine.SendAsync(Bearer("/api/projects", token))).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task nobody_revokes_someone_elses_token()
    {
        using var ada = await SignedUp("ada@example.com");
        var token = await CreateToken(ada, "mine");
        using var bob = await SignedUp("bob@example.com");
        await using var session = Store.QuerySession();
        var id = (await session.Query<ApiToken>().SingleAsync()).Id;

        var response = await bob.PostFormAsync($"/settings/tokens?handler=Revoke&id={id}", new(), formPage: "/settings/tokens");
        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        using var machine = NewClient();
        (await machine.SendAsync(Bearer("/api/projects", token))).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task a_stolen_token_opens_no_page_and_cannot_make_tokens_or_add_credentials()
    {
        using var ada = await SignedUp("ada@example.com");
        var token = await CreateToken(ada, "ci");
        using var thief = NewClient();

        foreach (var page in new[] { "/settings/tokens", "/settings/agents", "/settings/agents/new", "/projects", "/projects/new" })
        {
            var response = await thief.SendAsync(Bearer(page, token));
            response.StatusCode.ShouldBe(HttpStatusCode.Redirect, page);
            response.Headers.Location!.AbsolutePath.ShouldBe("/signin", page);
        }
        // A post with the bearer is no session's either: nothing is created.
        var create = new HttpRequestMessage(HttpMethod.Post, "/settings/tokens") { Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["Name"] = "stolen" }) };
        create.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        (await thief.SendAsync(create)).StatusCode.ShouldBeOneOf(HttpStatusCode.Redirect, HttpStatusCode.BadRequest);
        await using (var session = Store.QuerySession())
            (await session.Query<ApiToken>().CountAsync()).ShouldBe(1);

        // The same token still works where it is meant to.
        (await thief.SendAsync(Bearer("/api/projects", token))).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
