using System.Net;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Workspaces;

namespace Catalyst.Tests.Projects;

/// <summary>The project form's Check runs git ls-remote from the server and says why a repository cannot be reached.</summary>
public sealed class the_project_form_checks_the_repository(AppFixture fixture) : IntegrationContext(fixture), IDisposable
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();

    public void Dispose() => _sandbox.Dispose();

    private static async Task<string> Check(PageClient client, string url)
    {
        var response = await client.PostFormAsync("/projects/new?handler=CheckRepository", new() { ["Form.RepositoryUrl"] = url }, formPage: "/projects/new");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        return WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task a_reachable_repository_is_confirmed_and_an_unreachable_one_gets_the_reason()
    {
        using var ada = await SignedUp("ada@example.com");

        var reachable = await Check(ada, _sandbox.Origin);
        reachable.ShouldContain("alert success");
        reachable.ShouldContain("Reachable: 1 branch.");

        var missing = await Check(ada, Path.Combine(_sandbox.Root, "no-such.git"));
        missing.ShouldContain("alert error");
        missing.ShouldContain("Not reachable from this server:");
        missing.ShouldContain("does not appear to be a git repository");

        var outside = await Check(ada, "/etc");
        outside.ShouldContain("Local repositories are not allowed here");
    }
}
