using System.Net;
using Catalyst.Tests.Infrastructure;

namespace Catalyst.Tests.Projects;

public sealed class projects_pages(AppFixture fixture) : IntegrationContext(fixture)
{
    private static Dictionary<string, string> Form(string name, string slug, string repo = "https://git.example.com/acme/demo.git", string branch = "main") => new()
    {
        ["Form.Name"] = name,
        ["Form.Slug"] = slug,
        ["Form.RepositoryUrl"] = repo,
        ["Form.DefaultBranch"] = branch,
        ["Form.TimeoutSeconds"] = "1800",
        ["Form.MaxConcurrentTasks"] = "3",
    };

    /// <summary>The message shown beside a field, so a test cannot pass on a label or a hint.</summary>
    private static string FieldError(string html, string field) =>
        System.Text.RegularExpressions.Regex.Match(html, $"data-valmsg-for=\"{System.Text.RegularExpressions.Regex.Escape(field)}\"[^>]*>([^<]*)<").Groups[1].Value;

    [Fact]
    public async Task a_member_creates_edits_and_lists_a_project()
    {
        using var ada = await SignedUp("ada@example.com");
        var created = await ada.PostFormAsync("/projects/new", Form("Billing service", "billing"));
        created.StatusCode.ShouldBe(HttpStatusCode.Redirect, await created.Content.ReadAsStringAsync());
        created.Headers.Location!.ToString().ShouldBe("/projects/billing");

        var show = await ada.GetHtmlAsync("/projects/billing");
        show.ShouldContain("Billing service");
        show.ShouldContain("https://git.example.com/acme/demo.git");
        show.ShouldContain("1800 s");

        var edit = Form("Billing API", "ignored", "https://github.com/acme/billing.git", "develop");
        var edited = await ada.PostFormAsync("/projects/billing/edit", edit);
        edited.StatusCode.ShouldBe(HttpStatusCode.Redirect, await edited.Content.ReadAsStringAsync());

        var list = await ada.GetHtmlAsync("/projects");
        list.ShouldContain("Billing API");
        list.ShouldContain("https://github.com/acme/billing.git");
        (await ada.GetHtmlAsync("/projects/billing")).ShouldContain("develop");
    }

    [Fact]
    public async Task a_slug_left_empty_is_made_from_the_name_as_the_form_suggests_it()
    {
        using var ada = await SignedUp("ada@example.com");
        (await ada.GetHtmlAsync("/projects/new")).ShouldContain("data-slug-from=\"Form_Name\"");
        var created = await ada.PostFormAsync("/projects/new", Form("Café Déjà Vu — Billing!", ""));
        created.StatusCode.ShouldBe(HttpStatusCode.Redirect, await created.Content.ReadAsStringAsync());
        created.Headers.Location!.ToString().ShouldBe("/projects/cafe-deja-vu-billing");

        // A name with nothing to make a slug of is sent back with the slug's rule, not a 500.
        var nothing = await ada.PostFormAsync("/projects/new", Form("—!?", ""));
        nothing.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        FieldError(await nothing.Content.ReadAsStringAsync(), "Form.Slug").ShouldContain("lowercase letters, digits and dashes");
        ProjectSettingsSlug(new string('a', 49) + " b").ShouldBe(new string('a', 49));
    }

    private static string ProjectSettingsSlug(string name) => Catalyst.Integrations.Projects.ProjectSettings.SlugFrom(name);

    [Fact]
    public async Task invalid_project_input_gets_a_400_that_says_what_to_fix()
    {
        using var ada = await SignedUp("ada@example.com");
        var response = await ada.PostFormAsync("/projects/new", Form("", "Not A Slug!", "not a repository"));
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var html = await response.Content.ReadAsStringAsync();
        FieldError(html, "Form.Name").ShouldContain("Give the project a name");
        FieldError(html, "Form.Slug").ShouldContain("lowercase letters, digits and dashes");
        FieldError(html, "Form.RepositoryUrl").ShouldContain("Enter a git repository");

        (await ada.PostFormAsync("/projects/new", Form("One", "taken"))).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var duplicate = await ada.PostFormAsync("/projects/new", Form("Two", "taken"));
        duplicate.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        FieldError(await duplicate.Content.ReadAsStringAsync(), "Form.Slug").ShouldContain("is not available");
        // A reserved slug gets the very same words, so the answer never tells whether someone else's project exists.
        var reserved = await ada.PostFormAsync("/projects/new", Form("Four", "settings"));
        FieldError(await reserved.Content.ReadAsStringAsync(), "Form.Slug").ShouldBe(FieldError(await duplicate.Content.ReadAsStringAsync(), "Form.Slug").Replace("taken", "settings"));

        var badNumber = Form("Three", "three");
        badNumber["Form.TimeoutSeconds"] = "soon";
        (await ada.PostFormAsync("/projects/new", badNumber)).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task another_user_gets_404_for_a_project_they_are_not_a_member_of()
    {
        using var ada = await SignedUp("ada@example.com");
        (await ada.PostFormAsync("/projects/new", Form("Secret plans", "secret"))).StatusCode.ShouldBe(HttpStatusCode.Redirect);

        using var bob = await SignedUp("bob@example.com");
        (await bob.GetAsync("/projects/secret")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await bob.GetAsync("/projects/secret/edit")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await bob.GetAsync("/api/projects/secret")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await bob.GetHtmlAsync("/projects")).ShouldNotContain("Secret plans");

        var hijack = await bob.PostFormAsync("/projects/secret/edit", Form("Mine now", "secret"), formPage: "/projects/new");
        hijack.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await ada.GetHtmlAsync("/projects/secret")).ShouldContain("Secret plans");
    }

    [Fact]
    public async Task a_member_added_by_email_sees_the_project_after_signing_in()
    {
        using var ada = await SignedUp("ada@example.com");
        using var bob = await SignedUp("bob@example.com");
        (await ada.PostFormAsync("/projects/new", Form("Shared", "shared"))).StatusCode.ShouldBe(HttpStatusCode.Redirect);

        var added = await ada.PostFormAsync("/projects/shared?handler=AddMember", new() { ["Email"] = "Bob@example.com" }, formPage: "/projects/shared");
        added.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await ada.GetHtmlAsync("/projects/shared")).ShouldContain("bob@example.com");

        // The invitation is taken up at bob's next sign-in.
        (await bob.PostFormAsync("/signin", new() { ["Email"] = "bob@example.com", ["Password"] = "correct horse battery" })).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await bob.GetHtmlAsync("/projects")).ShouldContain("Shared");
        (await bob.GetHtmlAsync("/projects/shared")).ShouldContain("ada@example.com");
    }

    [Fact]
    public async Task adding_a_member_answers_the_same_whether_or_not_the_email_has_an_account()
    {
        using var ada = await SignedUp("ada@example.com");
        using var bob = await SignedUp("bob@example.com");
        (await ada.PostFormAsync("/projects/new", Form("Shared", "shared"))).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var emailsBefore = Fixture.Smtp.Count;

        var known = await ada.PostFormAsync("/projects/shared?handler=AddMember", new() { ["Email"] = "bob@example.com" }, formPage: "/projects/shared");
        var unknown = await ada.PostFormAsync("/projects/shared?handler=AddMember", new() { ["Email"] = "nobody@example.com" }, formPage: "/projects/shared");

        unknown.StatusCode.ShouldBe(known.StatusCode);
        unknown.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        unknown.Headers.Location.ShouldBe(known.Headers.Location);
        var page = await ada.GetHtmlAsync("/projects/shared");
        page.ShouldContain("bob@example.com");
        page.ShouldContain("nobody@example.com");
        page.ShouldNotContain("sign up first");

        // Both addresses get the same invitation by email, naming the project and who invited them.
        foreach (var address in new[] { "bob@example.com", "nobody@example.com" })
        {
            var email = await Fixture.Smtp.WaitForAsync(e => e.To.Contains(address), after: emailsBefore);
            email.Subject.ShouldBe("You are invited to Shared on Catalyst");
            email.Data.ShouldContain("ada@example.com invited you");
            email.Data.ShouldContain("/signin");
        }

        // Someone who signs up later with the invited address joins then.
        using var nobody = await SignedUp("nobody@example.com");
        (await nobody.GetHtmlAsync("/projects")).ShouldContain("Shared");
    }
}
