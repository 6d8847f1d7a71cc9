using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Catalyst.Host.Accounts;
using Catalyst.Tests.Infrastructure;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace Catalyst.Tests.Mcp;

public sealed class mcp_requires_a_personal_api_token(BrowserFixture fixture) : McpContext(fixture)
{
    private const string Initialize =
        """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}""";

    private async Task<HttpResponseMessage> PostInitialize(string? authorization, string? cookie = null)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false });
        using var request = new HttpRequestMessage(HttpMethod.Post, McpEndpoint) { Content = new StringContent(Initialize, Encoding.UTF8, "application/json") };
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
        if (cookie is not null) request.Headers.Add("Cookie", cookie);
        return await http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task a_valid_token_opens_the_endpoint()
    {
        var person = await SignedUpWithToken();
        var response = await PostInitialize($"Bearer {person.Token}");
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        await using var client = await Connect(person);
        client.ServerInfo!.Name.ShouldBe("catalyst");
    }

    [Fact]
    public async Task a_missing_token_gets_401()
    {
        var response = await PostInitialize(null);
        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        response.Headers.WwwAuthenticate.ToString().ShouldStartWith("Bearer");
        // A JSON-RPC error an MCP client can read, in words a developer can act on, not a sign-in page.
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        using var error = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        error.RootElement.GetProperty("error").GetProperty("message").GetString()!.ShouldContain("Authorization: Bearer cat_");
    }

    [Fact]
    public async Task a_wrong_token_gets_401_and_the_client_cannot_connect()
    {
        var person = await SignedUpWithToken();
        var wrong = await PostInitialize($"Bearer {person.Token}x");
        wrong.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        using (var error = System.Text.Json.JsonDocument.Parse(await wrong.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)))
            error.RootElement.GetProperty("error").GetProperty("message").GetString()!.ShouldStartWith("The API token is unknown or revoked.");
        (await PostInitialize("Bearer cat_not-a-token")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await PostInitialize("Bearer ")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        var refused = await Should.ThrowAsync<HttpRequestException>(() => Connect(person.Token + "x"));
        refused.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task a_revoked_token_gets_401()
    {
        var person = await SignedUpWithToken();
        await using (var session = Fixture.Services.GetRequiredService<IDocumentStore>().QuerySession())
        {
            var hash = ApiTokenHandler.Hash(person.Token);
            var token = await session.Query<ApiToken>().SingleAsync(t => t.Hash == hash, TestContext.Current.CancellationToken);
            var revoke = await person.Browser.PostFormAsync($"/settings/tokens?handler=Revoke&id={token.Id}", new(), formPage: "/settings/tokens");
            revoke.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        }
        (await PostInitialize($"Bearer {person.Token}")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task a_signed_in_browser_session_is_not_a_token()
    {
        var person = await SignedUpWithToken();
        var session = person.Browser.Cookies.GetCookieHeader(Fixture.BaseAddress);
        session.ShouldContain("catalyst.session");
        (await PostInitialize(null, session)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }
}
