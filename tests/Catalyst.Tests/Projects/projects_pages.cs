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
        FieldError(await duplicate.Content.ReadAsStringAsync(), "Form.Slug").ShouldContain("is taken");

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
    public async Task a_member_added_by_email_sees_the_project()
    {
        using var ada = await SignedUp("ada@example.com");
        using var bob = await SignedUp("bob@example.com");
        (await ada.PostFormAsync("/projects/new", Form("Shared", "shared"))).StatusCode.ShouldBe(HttpStatusCode.Redirect);

        var unknown = await ada.PostFormAsync("/projects/shared?handler=AddMember", new() { ["Email"] = "nobody@example.com" }, formPage: "/projects/shared");
        unknown.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await unknown.Content.ReadAsStringAsync()).ShouldContain("ask them to sign up first");

        var added = await ada.PostFormAsync("/projects/shared?handler=AddMember", new() { ["Email"] = "bob@example.com" }, formPage: "/projects/shared");
        added.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await bob.GetHtmlAsync("/projects")).ShouldContain("Shared");
        (await bob.GetHtmlAsync("/projects/shared")).ShouldContain("ada@example.com");
    }
}
