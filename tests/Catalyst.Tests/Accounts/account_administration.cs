using System.Net;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Tasks;

namespace Catalyst.Tests.Accounts;

/// <summary>A person changes their password; an admin disables accounts and makes admins; a member removes another member.</summary>
public sealed class account_administration(AppFixture fixture) : IntegrationContext(fixture)
{
    [Fact]
    public async Task changing_the_password_needs_the_current_one_and_signs_out_the_other_browsers()
    {
        using var laptop = await SignedUp("ada@example.com", "first password");
        using var phone = NewClient();
        (await phone.PostFormAsync("/signin", new() { ["Email"] = "ada@example.com", ["Password"] = "first password" })).StatusCode.ShouldBe(HttpStatusCode.Redirect);

        var wrong = await laptop.PostFormAsync("/settings/account", new() { ["CurrentPassword"] = "not it", ["NewPassword"] = "second password" });
        wrong.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        WebUtility.HtmlDecode(await wrong.Content.ReadAsStringAsync()).ShouldContain("That is not your current password.");

        var changed = await laptop.PostFormAsync("/settings/account", new() { ["CurrentPassword"] = "first password", ["NewPassword"] = "second password" });
        changed.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await changed.Content.ReadAsStringAsync()).ShouldContain("id=\"password-changed\"");

        (await laptop.GetAsync("/projects")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await phone.GetAsync("/projects")).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        using var again = NewClient();
        (await again.PostFormAsync("/signin", new() { ["Email"] = "ada@example.com", ["Password"] = "first password" })).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await again.PostFormAsync("/signin", new() { ["Email"] = "ada@example.com", ["Password"] = "second password" })).StatusCode.ShouldBe(HttpStatusCode.Redirect);
    }

    [Fact]
    public async Task an_admin_disables_an_account_which_is_signed_out_at_once_and_makes_another_an_admin()
    {
        using var admin = await SignedUp("admin@example.com");
        using var bob = await SignedUp("bob@example.com");
        using var carol = await SignedUp("carol@example.com");
        var bobId = await UserId("bob@example.com");
        var carolId = await UserId("carol@example.com");

        (await bob.GetAsync("/settings/users")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var list = WebUtility.HtmlDecode(await admin.GetHtmlAsync("/settings/users"));
        list.ShouldContain("bob@example.com");
        list.ShouldContain("carol@example.com");

        (await admin.PostFormAsync($"/settings/users?handler=Disable&id={bobId}", new(), formPage: "/settings/users")).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await bob.GetAsync("/projects")).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        using var bobAgain = NewClient();
        var refused = await bobAgain.PostFormAsync("/signin", new() { ["Email"] = "bob@example.com", ["Password"] = "correct horse battery" });
        refused.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        WebUtility.HtmlDecode(await refused.Content.ReadAsStringAsync()).ShouldContain("This account is disabled");

        (await admin.PostFormAsync($"/settings/users?handler=Enable&id={bobId}", new(), formPage: "/settings/users")).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await bobAgain.PostFormAsync("/signin", new() { ["Email"] = "bob@example.com", ["Password"] = "correct horse battery" })).StatusCode.ShouldBe(HttpStatusCode.Redirect);

        // Carol, made an admin, sees the page with the cookie she already has.
        (await admin.PostFormAsync($"/settings/users?handler=MakeAdmin&id={carolId}", new(), formPage: "/settings/users")).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await carol.GetAsync("/settings/users")).StatusCode.ShouldBe(HttpStatusCode.OK);

        // An admin cannot lock themselves out.
        var adminId = await UserId("admin@example.com");
        (await admin.PostFormAsync($"/settings/users?handler=Disable&id={adminId}", new(), formPage: "/settings/users")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task a_member_removes_another_member_who_loses_the_project()
    {
        using var ada = await SignedUp("ada@example.com");
        using var bob = await SignedUp("bob@example.com");
        await ada.CreateProjectAsync("shared", "https://git.example.com/acme/shared.git");
        (await ada.PostFormAsync("/projects/shared?handler=AddMember", new() { ["Email"] = "bob@example.com" }, formPage: "/projects/shared")).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        // The invitation is taken up at bob's next sign-in.
        (await bob.PostFormAsync("/signin", new() { ["Email"] = "bob@example.com", ["Password"] = "correct horse battery" })).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await bob.GetAsync("/projects/shared")).StatusCode.ShouldBe(HttpStatusCode.OK);

        var bobId = await UserId("bob@example.com");
        (await ada.PostFormAsync($"/projects/shared?handler=RemoveMember&memberId={bobId}", new(), formPage: "/projects/shared")).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await bob.GetAsync("/projects/shared")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        WebUtility.HtmlDecode(await ada.GetHtmlAsync("/projects/shared")).ShouldNotContain("bob@example.com");
    }
}
