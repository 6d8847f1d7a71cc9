using System.Net;
using System.Text.RegularExpressions;
using Catalyst.Contracts;
using Catalyst.Tests.Infrastructure;

namespace Catalyst.Tests.Projects;

public sealed class project_sandbox_settings(AppFixture fixture) : IntegrationContext(fixture)
{
    private static Dictionary<string, string> Form(string slug, string hosts, string memory = "", string cpus = "", string processes = "") => new()
    {
        ["Form.Name"] = $"Project {slug}",
        ["Form.Slug"] = slug,
        ["Form.RepositoryUrl"] = "https://git.example.com/acme/demo.git",
        ["Form.DefaultBranch"] = "main",
        ["Form.TimeoutSeconds"] = "600",
        ["Form.MaxConcurrentTasks"] = "2",
        ["Form.AllowedHosts"] = hosts,
        ["Form.MemoryMiB"] = memory,
        ["Form.Cpus"] = cpus,
        ["Form.Processes"] = processes,
    };

    private static string FieldError(string html, string field) =>
        WebUtility.HtmlDecode(Regex.Match(html, $"data-valmsg-for=\"{Regex.Escape(field)}\"[^>]*>([^<]*)<").Groups[1].Value);

    [Fact]
    public async Task allowed_hosts_and_limits_set_on_the_form_are_shown_and_handed_to_tasks()
    {
        using var ada = await SignedUp("ada@example.com");
        var created = await ada.PostFormAsync("/projects/new", Form("web", "Registry.npmjs.org\r\n\r\n*.pypi.org\r\ngit.example.com:22", "2048", "1.5", "256"));
        created.StatusCode.ShouldBe(HttpStatusCode.Redirect, await created.Content.ReadAsStringAsync());

        var show = await ada.GetHtmlAsync("/projects/web");
        show.ShouldContain("<code>registry.npmjs.org</code>");
        show.ShouldContain("<code>*.pypi.org</code>");
        show.ShouldContain("2048 MiB");

        var project = await Invoke<ProjectRef?>(new FindMemberProject(await UserId("ada@example.com"), "web"));
        project.ShouldNotBeNull().Sandbox.ShouldBe(new ProjectSandbox(project.Sandbox.AllowedHosts, 2048, 1.5, 256));
        project.Sandbox.AllowedHosts.ShouldBe(["registry.npmjs.org", "*.pypi.org", "git.example.com:22"]);

        var edited = await ada.PostFormAsync("/projects/web/edit", Form("web", ""));
        edited.StatusCode.ShouldBe(HttpStatusCode.Redirect, await edited.Content.ReadAsStringAsync());
        var byId = await Invoke<ProjectRef?>(new FindProjectById(project.Id));
        byId.ShouldNotBeNull().Sandbox.ShouldBe(ProjectSandbox.None with { AllowedHosts = byId.Sandbox.AllowedHosts });
        byId.Sandbox.AllowedHosts.ShouldBeEmpty();
    }

    [Fact]
    public async Task a_host_that_is_not_one_and_limits_out_of_range_are_refused_beside_their_fields()
    {
        using var ada = await SignedUp("ada@example.com");
        var response = await ada.PostFormAsync("/projects/new", Form("web", "https://example.com/path", "64", "0", "5"));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var html = await response.Content.ReadAsStringAsync();
        FieldError(html, "Form.AllowedHosts").ShouldContain("write a host name (example.com), a wildcard (*.example.com) or an IP address");
        FieldError(html, "Form.MemoryMiB").ShouldBe("Workspace memory must be between 128 and 1,048,576 MiB, or empty for the default.");
        FieldError(html, "Form.Cpus").ShouldBe("Workspace CPUs must be between 0.1 and 256, or empty for no limit.");
        FieldError(html, "Form.Processes").ShouldBe("Workspace processes must be between 16 and 100,000, or empty for the default.");
    }
}
