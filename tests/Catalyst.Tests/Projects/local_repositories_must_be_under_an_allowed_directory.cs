using System.Net;
using System.Text.RegularExpressions;
using Catalyst.Tests.Infrastructure;

namespace Catalyst.Tests.Projects;

/// <summary>
/// A project on a path of the server's disk lets its agent read that path: only the directories an admin listed in
/// Catalyst__Projects__LocalRepositoryRoots may be named (the test hosts list the temp directory).
/// </summary>
public sealed class local_repositories_must_be_under_an_allowed_directory(AppFixture fixture) : IntegrationContext(fixture), IDisposable
{
    private readonly DirectoryInfo _allowed = Directory.CreateTempSubdirectory("catalyst-roots-");

    private static Dictionary<string, string> Form(string slug, string repository) => new()
    {
        ["Form.Name"] = $"Project {slug}", ["Form.Slug"] = slug, ["Form.RepositoryUrl"] = repository,
        ["Form.DefaultBranch"] = "main", ["Form.TimeoutSeconds"] = "600", ["Form.MaxConcurrentTasks"] = "1",
    };

    private static string RepositoryError(string html) => WebUtility.HtmlDecode(
        Regex.Match(html, "data-valmsg-for=\"Form.RepositoryUrl\"[^>]*>([^<]*)<").Groups[1].Value);

    private static async Task<string> Refused(PageClient client, string slug, string repository)
    {
        var response = await client.PostFormAsync("/projects/new", Form(slug, repository));
        var html = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest, html);
        return RepositoryError(html);
    }

    [Fact]
    public async Task a_path_outside_the_listed_directories_is_refused_with_the_setting_to_change()
    {
        using var ada = await SignedUp("ada@example.com");
        var error = await Refused(ada, "outside", "/srv/other-team/billing.git");
        error.ShouldBe($"Local repositories are not allowed here: /srv/other-team/billing.git is not under a directory listed in " +
                       $"Catalyst__Projects__LocalRepositoryRoots (it lists {Path.GetTempPath()}). " +
                       "Ask an admin to add its parent directory, or use an https:// or ssh:// URL.");
        (await Refused(ada, "outside-url", "file:///srv/other-team/billing.git")).ShouldStartWith("Local repositories are not allowed here: file:///srv/other-team/billing.git is not under");
        (await ada.GetHtmlAsync("/projects")).ShouldNotContain("other-team");
    }

    [Fact]
    public async Task dot_dot_and_a_symbolic_link_cannot_lead_out_of_a_listed_directory()
    {
        using var ada = await SignedUp("ada@example.com");
        var outside = Directory.CreateDirectory(Path.Combine("/var/tmp", $"catalyst-outside-{Guid.NewGuid():N}"));
        try
        {
            Directory.CreateDirectory(Path.Combine(outside.FullName, "secret.git"));
            var link = Path.Combine(_allowed.FullName, "elsewhere");
            File.CreateSymbolicLink(link, outside.FullName);

            (await Refused(ada, "dot-dot", $"{_allowed.FullName}/../../var/tmp/{outside.Name}/secret.git")).ShouldStartWith("Local repositories are not allowed here");
            (await Refused(ada, "link", $"{link}/secret.git")).ShouldStartWith("Local repositories are not allowed here");
            (await Refused(ada, "link-url", $"file://{link}/secret.git")).ShouldStartWith("Local repositories are not allowed here");
            (await Refused(ada, "escaped", $"file://{_allowed.FullName}/%2E%2E/%2E%2E/var/tmp/{outside.Name}/secret.git")).ShouldStartWith("Local repositories are not allowed here");
        }
        finally
        {
            outside.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task a_repository_under_a_listed_directory_is_accepted_and_editing_cannot_move_it_out()
    {
        using var ada = await SignedUp("ada@example.com");
        var repository = Path.Combine(_allowed.FullName, "billing.git");
        Directory.CreateDirectory(repository);
        var created = await ada.PostFormAsync("/projects/new", Form("inside", repository));
        created.StatusCode.ShouldBe(HttpStatusCode.Redirect, await created.Content.ReadAsStringAsync());
        (await ada.GetHtmlAsync("/projects/inside")).ShouldContain(repository);

        var within = await ada.PostFormAsync("/projects/new", Form("inside-url", $"file://{_allowed.FullName}/team/../billing.git"));
        within.StatusCode.ShouldBe(HttpStatusCode.Redirect, await within.Content.ReadAsStringAsync());

        var moved = await ada.PostFormAsync("/projects/inside/edit", Form("inside", "/srv/other-team/billing.git"), formPage: "/projects/inside/edit");
        moved.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        RepositoryError(await moved.Content.ReadAsStringAsync()).ShouldStartWith("Local repositories are not allowed here: /srv/other-team/billing.git");
        (await ada.GetHtmlAsync("/projects/inside")).ShouldContain(repository);
    }

    public void Dispose() => _allowed.Delete(recursive: true);
}
