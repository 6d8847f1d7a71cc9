using System.Net;
using Catalyst.Host.Accounts;
using Catalyst.Tests.Infrastructure;
using Marten;

namespace Catalyst.Tests.Accounts;

public sealed class github_sign_in(AppFixture fixture) : IntegrationContext(fixture)
{
    [Fact]
    public async Task the_github_button_signs_you_in_through_the_oauth_flow()
    {
        Fixture.GitHub.NextUser = new(9001, "hubber", "hubber@example.com", "Hub Ber");
        using var client = NewClient();
        (await client.GetHtmlAsync("/signin")).ShouldContain("Sign in with GitHub");

        // Catalyst → GitHub's authorize page (the loopback stand-in) → back to the callback with a code.
        var challenge = await client.GetAsync("/signin/github?returnUrl=/projects");
        challenge.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var authorize = challenge.Headers.Location!;
        authorize.Host.ShouldBe("127.0.0.1");
        authorize.Query.ShouldContain($"client_id={FakeGitHub.ClientId}");

        using var github = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        var approved = await github.GetAsync(authorize);
        approved.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var callback = approved.Headers.Location!;
        callback.AbsolutePath.ShouldBe("/signin/github/callback");

        var signedIn = await client.GetAsync(callback.PathAndQuery);
        signedIn.StatusCode.ShouldBe(HttpStatusCode.Redirect, await signedIn.Content.ReadAsStringAsync());
        signedIn.Headers.Location!.ToString().ShouldBe("/projects");
        (await client.GetHtmlAsync("/projects")).ShouldContain("Hub Ber");

        await using var session = Store.QuerySession();
        var user = await session.Query<CatalystUser>().SingleAsync(u => u.GitHubId == 9001);
        user.GitHubLogin.ShouldBe("hubber");
        user.Email.ShouldBe("hubber@example.com");
    }

    [Fact]
    public async Task a_forged_callback_without_the_flow_signs_nobody_in()
    {
        using var client = NewClient();
        var response = await client.GetAsync("/signin/github/callback?code=stolen&state=forged");
        (await client.GetAsync("/projects")).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        response.StatusCode.ShouldNotBe(HttpStatusCode.OK);
    }
}
