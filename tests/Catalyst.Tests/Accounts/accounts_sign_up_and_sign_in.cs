using System.Net;
using Catalyst.Host.Accounts;
using Catalyst.Tests.Infrastructure;
using Marten;

namespace Catalyst.Tests.Accounts;

public sealed class accounts_sign_up_and_sign_in(AppFixture fixture) : IntegrationContext(fixture)
{
    [Fact]
    public async Task signing_up_signs_you_in_and_the_first_account_is_admin()
    {
        using var ada = await SignedUp("ada@example.com");
        (await ada.GetAsync("/projects")).StatusCode.ShouldBe(HttpStatusCode.OK);

        using var bob = await SignedUp("bob@example.com");
        await using var session = Store.QuerySession();
        var users = await session.Query<CatalystUser>().ToListAsync();
        users.Single(u => u.Email == "ada@example.com").IsAdmin.ShouldBeTrue();
        users.Single(u => u.Email == "bob@example.com").IsAdmin.ShouldBeFalse();
        users.ShouldAllBe(u => u.PasswordHash != null && !u.PasswordHash.Contains("correct horse"));
    }

    [Fact]
    public async Task an_anonymous_visitor_is_sent_to_sign_in()
    {
        using var client = NewClient();
        var response = await client.GetAsync("/projects");
        response.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        response.Headers.Location!.ToString().ShouldContain("/signin");
    }

    [Fact]
    public async Task signing_in_with_the_right_password_works_and_the_wrong_one_says_so()
    {
        (await SignedUp("ada@example.com", "a long password")).Dispose();

        using var wrong = NewClient();
        var rejected = await wrong.PostFormAsync("/signin", new() { ["Email"] = "ada@example.com", ["Password"] = "not it at all" });
        rejected.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await rejected.Content.ReadAsStringAsync()).ShouldContain("do not match an account");

        using var right = NewClient();
        var accepted = await right.PostFormAsync("/signin", new() { ["Email"] = "ADA@example.com", ["Password"] = "a long password" });
        accepted.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await right.GetAsync("/projects")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task a_bad_sign_up_is_answered_with_what_to_fix()
    {
        using var client = NewClient();
        var response = await client.PostFormAsync("/signup", new() { ["Email"] = "not-an-email", ["Password"] = "short" });
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var html = await response.Content.ReadAsStringAsync();
        html.ShouldContain("Enter an email address");
        html.ShouldContain("at least 8 characters");

        (await SignedUp("ada@example.com")).Dispose();
        var duplicate = await NewClient().PostFormAsync("/signup", new() { ["Email"] = "ada@example.com", ["Password"] = "another password" });
        duplicate.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await duplicate.Content.ReadAsStringAsync()).ShouldContain("already exists");
    }

    [Fact]
    public async Task a_form_post_without_the_antiforgery_token_is_rejected()
    {
        using var client = NewClient();
        var response = await client.PostFormAsync("/signup",
            new() { ["Email"] = "mallory@example.com", ["Password"] = "a long password" }, withAntiforgery: false);
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        await using var session = Store.QuerySession();
        (await session.Query<CatalystUser>().AnyAsync(u => u.Email == "mallory@example.com")).ShouldBeFalse();
    }

    [Fact]
    public async Task signing_out_ends_the_session()
    {
        using var ada = await SignedUp("ada@example.com");
        (await ada.PostFormAsync("/signout", new(), formPage: "/projects")).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await ada.GetAsync("/projects")).StatusCode.ShouldBe(HttpStatusCode.Redirect);
    }
}
