using System.Net;
using System.Text.RegularExpressions;
using Catalyst.Contracts;
using Catalyst.Tests.Infrastructure;

namespace Catalyst.Tests.Projects;

/// <summary>A project's pre- and post-hooks: set on the form one command per line, checked, shown, and handed to the tasks.</summary>
public sealed class project_hooks_settings(AppFixture fixture) : IntegrationContext(fixture)
{
    private static Dictionary<string, string> Form(string slug, string pre, string post) => new()
    {
        ["Form.Name"] = $"Project {slug}",
        ["Form.Slug"] = slug,
        ["Form.RepositoryUrl"] = "https://git.example.com/acme/demo.git",
        ["Form.DefaultBranch"] = "main",
        ["Form.TimeoutSeconds"] = "600",
        ["Form.MaxConcurrentTasks"] = "2",
        ["Form.PreHooks"] = pre,
        ["Form.PostHooks"] = post,
    };

    private static string FieldError(string html, string field) =>
        WebUtility.HtmlDecode(Regex.Match(html, $"data-valmsg-for=\"{Regex.Escape(field)}\"[^>]*>([^<]*)<").Groups[1].Value);

    [Fact]
    public async Task hooks_set_on_the_form_are_shown_on_the_project_edited_and_handed_to_tasks()
    {
        using var ada = await SignedUp("ada@example.com");
        var created = await ada.PostFormAsync("/projects/new", Form("web", "npm ci\r\n\r\n  npm run build  \r\n", "npm test"));
        created.StatusCode.ShouldBe(HttpStatusCode.Redirect, await created.Content.ReadAsStringAsync());

        var show = await ada.GetHtmlAsync("/projects/web");
        show.ShouldContain("<code>npm ci</code>");
        show.ShouldContain("<code>npm run build</code>");
        show.ShouldContain("<code>npm test</code>");

        var edit = await ada.GetHtmlAsync("/projects/web/edit");
        WebUtility.HtmlDecode(Regex.Match(edit, "<textarea[^>]*name=\"Form.PreHooks\"[^>]*>\\s*([^<]*)</textarea>").Groups[1].Value).ShouldBe("npm ci\nnpm run build");

        var project = await Invoke<ProjectRef?>(new FindMemberProject(await UserId("ada@example.com"), "web"));
        project.ShouldNotBeNull().Hooks.Pre.ShouldBe(["npm ci", "npm run build"]);
        project.Hooks.Post.ShouldBe(["npm test"]);

        var edited = await ada.PostFormAsync("/projects/web/edit", Form("web", "", "npm run lint\nnpm test"));
        edited.StatusCode.ShouldBe(HttpStatusCode.Redirect, await edited.Content.ReadAsStringAsync());
        var byId = await Invoke<ProjectRef?>(new FindProjectById(project.Id));
        byId.ShouldNotBeNull().Hooks.Pre.ShouldBeEmpty();
        byId.Hooks.Post.ShouldBe(["npm run lint", "npm test"]);
        var after = await ada.GetHtmlAsync("/projects/web");
        after.ShouldNotContain("<code>npm ci</code>");
        after.ShouldContain("<code>npm run lint</code>");
    }

    [Fact]
    public async Task bad_hooks_get_a_400_with_the_form_again_and_a_message_that_says_what_to_fix()
    {
        using var ada = await SignedUp("ada@example.com");

        var tooMany = await ada.PostFormAsync("/projects/new", Form("many", string.Join('\n', Enumerable.Range(1, 21).Select(i => $"echo {i}")), ""));
        tooMany.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var html = await tooMany.Content.ReadAsStringAsync();
        FieldError(html, "Form.PreHooks").ShouldBe("Pre-hooks: at most 20 commands, one per line (21 given).");
        html.ShouldContain("echo 21"); // the form comes back with what was typed

        var tooLong = await ada.PostFormAsync("/projects/new", Form("long", "", "echo ok\necho " + new string('x', 2000)));
        tooLong.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        FieldError(await tooLong.Content.ReadAsStringAsync(), "Form.PostHooks").ShouldBe("Post-hook 2 is 2,005 characters long; keep each command under 2,000 characters.");

        var control = await ada.PostFormAsync("/projects/new", Form("ctl", "echo \u001b[31mred", ""));
        control.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        FieldError(await control.Content.ReadAsStringAsync(), "Form.PreHooks").ShouldBe("Pre-hook 1 contains a control character; write each command on one line, as plain text.");

        (await ada.GetAsync("/projects/many")).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        // Editing is checked the same way, and the stored hooks stay as they were. (A NUL never gets this far: ASP.NET rejects it in a form.)
        (await ada.PostFormAsync("/projects/new", Form("kept", "npm ci", ""))).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var badEdit = await ada.PostFormAsync("/projects/kept/edit", Form("kept", "echo a\u0007b", ""));
        badEdit.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var badEditHtml = await badEdit.Content.ReadAsStringAsync();
        FieldError(badEditHtml, "Form.PreHooks").ShouldContain("control character", customMessage: badEditHtml);
        (await ada.GetHtmlAsync("/projects/kept")).ShouldContain("<code>npm ci</code>");
    }
}
