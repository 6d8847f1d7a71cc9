using System.Net;
using Catalyst.Contracts;
using Catalyst.Host.Accounts;
using Catalyst.Tests.Infrastructure;
using Marten;

namespace Catalyst.Tests.GitHub;

/// <summary>
/// Linking a GitHub login from the account page through GitHub's OAuth flow (the loopback GitHub's authorize and token
/// endpoints), without signing in with GitHub; the state is checked against the browser that started the flow.
/// </summary>
public sealed class a_github_login_is_linked_from_the_account_page(AppFixture fixture) : GitHubContext(fixture)
{
    private static readonly FakeGitHub.GitHubAccount Ada = new(AdaGitHubId, AdaLogin, "ada@users.example", "Ada L");

    /// <summary>Presses "Link GitHub account" and approves at GitHub as <paramref name="who"/>: the callback URL GitHub sends the browser back to.</summary>
    private async Task<string> StartLink(PageClient client, FakeGitHub.GitHubAccount who)
    {
        (await client.GetHtmlAsync("/settings/account")).ShouldContain("id=\"link-github\"");
        var challenge = await client.PostFormAsync("/settings/account?handler=LinkGitHub", new(), formPage: "/settings/account");
        challenge.StatusCode.ShouldBe(HttpStatusCode.Redirect, await challenge.Content.ReadAsStringAsync());
        var authorize = challenge.Headers.Location!;
        authorize.GetLeftPart(UriPartial.Path).ShouldBe(new Uri(GitHub.Address, "login/oauth/authorize").ToString());
        authorize.Query.ShouldContain("state=");

        GitHub.NextUser = who;
        using var github = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        var approved = await github.GetAsync(authorize);
        approved.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var callback = approved.Headers.Location!;
        callback.AbsolutePath.ShouldBe("/signin/github/callback/link");
        return callback.PathAndQuery;
    }

    private async Task<string> Finish(PageClient client, string callback)
    {
        var back = await client.GetAsync(callback);
        back.StatusCode.ShouldBe(HttpStatusCode.Redirect, await back.Content.ReadAsStringAsync());
        var location = back.Headers.Location!.ToString();
        location.ShouldStartWith("/settings/account?github=");
        return location;
    }

    private async Task<CatalystUser> Account(string email)
    {
        await using var session = Store.QuerySession();
        return await session.Query<CatalystUser>().SingleAsync(u => u.Email == email);
    }

    [Fact]
    public async Task the_account_page_links_a_github_login_through_oauth_and_unlinks_it()
    {
        using var ada = await SignedUp("ada@example.com");
        var back = await Finish(ada, await StartLink(ada, Ada));
        back.ShouldBe("/settings/account?github=linked");

        var page = WebUtility.HtmlDecode(await ada.GetHtmlAsync(back));
        page.ShouldContain($"<strong id=\"github-login\">@{AdaLogin}</strong>");
        page.ShouldContain("Your GitHub login is linked.");
        var account = await Account("ada@example.com");
        (account.GitHubId, account.GitHubLogin).ShouldBe((AdaGitHubId, AdaLogin));
        // The integration now finds Ada behind her GitHub user id; she is still signed in as herself, with her password.
        (await Invoke<UserRef?>(new FindUserByGitHubId(AdaGitHubId)))!.Id.ShouldBe(account.Id);
        account.PasswordHash.ShouldNotBeNull();
        (await ada.GetHtmlAsync("/projects")).ShouldContain("ada@example.com");

        var unlinked = await ada.PostFormAsync("/settings/account?handler=UnlinkGitHub", new(), formPage: "/settings/account");
        unlinked.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        unlinked.Headers.Location!.ToString().ShouldBe("/settings/account?github=unlinked");
        (await Account("ada@example.com")).GitHubId.ShouldBeNull();
        (await Invoke<UserRef?>(new FindUserByGitHubId(AdaGitHubId))).ShouldBeNull();
        (await ada.GetHtmlAsync("/settings/account")).ShouldContain("id=\"link-github\"");
    }

    [Fact]
    public async Task a_login_already_linked_to_another_account_is_refused_with_a_clear_message()
    {
        using var bo = await SignedUp("bo@example.com");
        (await Finish(bo, await StartLink(bo, Ada))).ShouldBe("/settings/account?github=linked");

        using var ada = await SignedUp("ada@example.com");
        var back = await Finish(ada, await StartLink(ada, Ada));
        back.ShouldBe("/settings/account?github=taken");
        var page = WebUtility.HtmlDecode(await ada.GetHtmlAsync(back));
        page.ShouldContain(GitHubLinkHandler.Taken);
        page.ShouldContain("id=\"link-github\"");
        (await Account("ada@example.com")).GitHubId.ShouldBeNull();
        (await Account("bo@example.com")).GitHubId.ShouldBe(AdaGitHubId);
    }

    [Theory]
    [InlineData("/signin/github/callback/link?code=stolen&state=forged")]
    [InlineData("/signin/github/callback/link?code=stolen")]
    public async Task a_callback_with_a_forged_or_missing_state_links_nothing(string callback)
    {
        using var ada = await SignedUp("ada@example.com");
        (await Finish(ada, callback)).ShouldBe("/settings/account?github=failed");
        (await ada.GetHtmlAsync("/settings/account?github=failed")).ShouldContain("nothing was linked");
        (await Account("ada@example.com")).GitHubId.ShouldBeNull();
        lock (GitHub.TokenRequests) GitHub.TokenRequests.ShouldNotContain("stolen");
    }

    [Fact]
    public async Task a_callback_started_in_another_browser_cannot_link_the_starters_github_login_to_you()
    {
        // Mallory starts a link in her browser and sends Ada the callback with her code and state (login CSRF).
        using var mallory = await SignedUp("mallory@example.com");
        var callback = await StartLink(mallory, new FakeGitHub.GitHubAccount(666, "mallory-gh", null, "Mallory"));

        using var ada = await SignedUp("ada@example.com");
        (await Finish(ada, callback)).ShouldBe("/settings/account?github=failed");
        (await Account("ada@example.com")).GitHubId.ShouldBeNull();
        (await Account("mallory@example.com")).GitHubId.ShouldBeNull();
    }

    [Fact]
    public async Task an_account_that_signs_in_only_with_github_cannot_unlink_it()
    {
        GitHub.NextUser = new(9002, "only-gh", "only@example.com", "Only GH");
        using var client = NewClient();
        var challenge = await client.GetAsync("/signin/github?returnUrl=/projects");
        using var github = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        var callback = (await github.GetAsync(challenge.Headers.Location!)).Headers.Location!;
        (await client.GetAsync(callback.PathAndQuery)).StatusCode.ShouldBe(HttpStatusCode.Redirect);

        var refused = await client.PostFormAsync("/settings/account?handler=UnlinkGitHub", new(), formPage: "/settings/account");
        refused.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        WebUtility.HtmlDecode(await refused.Content.ReadAsStringAsync()).ShouldContain(GitHubLinkHandler.OnlyWay);
        (await Account("only@example.com")).GitHubId.ShouldBe(9002);
    }
}
