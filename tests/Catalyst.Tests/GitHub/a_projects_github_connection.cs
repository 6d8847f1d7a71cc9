using System.Net;
using Catalyst.Integrations.GitHub;
using Catalyst.Tests.Credentials;
using Catalyst.Tests.Infrastructure;
using Marten;

namespace Catalyst.Tests.GitHub;

public sealed class a_projects_github_connection(AppFixture fixture) : GitHubContext(fixture)
{
    private async Task<string> TestConnection(PageClient ada) =>
        WebUtility.HtmlDecode(await (await ada.HtmxPostAsync($"/projects/{Slug}/github?handler=Test", new(), $"/projects/{Slug}/github")).Content.ReadAsStringAsync());

    [Fact]
    public async Task test_connection_says_what_a_github_app_may_do_on_the_repository()
    {
        var ada = await ConnectedProject(GitHubAuthKind.App);
        var result = await TestConnection(ada);
        result.ShouldContain("data-status=\"ok\"");
        result.ShouldContain("Signed in as the GitHub App “Catalyst Test”");
        result.ShouldContain("contents write, pull requests write, issues write, metadata read");
        result.ShouldContain("Installation token issued");
        result.ShouldContain("On acme/shop: read yes, push yes, admin no");
    }

    [Fact]
    public async Task test_connection_with_a_token_github_refuses_says_so_without_a_server_error()
    {
        var ada = await ConnectedProject(GitHubAuthKind.Token);
        (await TestConnection(ada)).ShouldContain("data-status=\"ok\"");
        (await ada.PostFormAsync($"/projects/{Slug}/github", new() { ["Kind"] = "Token", ["Token"] = "github_pat_revoked0000000000", ["DefaultAgent"] = ScriptAgent.Name }))
            .StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var result = await TestConnection(ada);
        result.ShouldContain("data-status=\"failed\"");
        result.ShouldContain("GitHub refused the credentials (401");
        result.ShouldNotContain("github_pat_revoked0000000000");
    }

    [Fact]
    public async Task the_key_and_token_are_sealed_never_shown_and_a_bad_key_is_refused_beside_its_field()
    {
        var ada = await ConnectedProject(GitHubAuthKind.App);
        var page = WebUtility.HtmlDecode(await ada.GetHtmlAsync($"/projects/{Slug}/github"));
        page.ShouldContain("stored: a PEM private key");
        page.ShouldNotContain(FakeGitHub.AppPrivateKey.Split('\n')[1]);

        var bad = await ada.PostFormAsync($"/projects/{Slug}/github", new() { ["Kind"] = "App", ["AppId"] = "1", ["InstallationId"] = "2", ["PrivateKey"] = "not a key" });
        bad.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var said = WebUtility.HtmlDecode(await bad.Content.ReadAsStringAsync());
        said.ShouldContain("That is not a PEM private key");
        said.ShouldNotContain("not a key</textarea>");

        await using var session = Store.QuerySession();
        var sealedRows = string.Join("\n", await session.QueryAsync<string>("select data::text from credentials.mt_doc_projectsecret"));
        sealedRows.ShouldContain("github-app-private-key");
        sealedRows.ShouldNotContain("PRIVATE KEY");
    }

    [Fact]
    public async Task another_users_project_has_no_github_page()
    {
        await ConnectedProject();
        var eve = await SignedUp("eve@example.com");
        (await eve.GetAsync($"/projects/{Slug}/github")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await eve.PostFormAsync($"/projects/{Slug}/github", new() { ["Kind"] = "Token", ["Token"] = "github_pat_eve" }, formPage: "/projects")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }
}
