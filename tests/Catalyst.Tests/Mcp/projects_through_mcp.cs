using Catalyst.Tests.Infrastructure;

namespace Catalyst.Tests.Mcp;

public sealed class projects_through_mcp(BrowserFixture fixture) : McpContext(fixture)
{
    [Fact]
    public async Task a_project_created_through_mcp_is_listed_and_shown_in_the_web_app()
    {
        var person = await SignedUpWithToken();
        await using var client = await Connect(person);
        var slug = $"mcp-{Guid.NewGuid():N}"[..16];

        var created = await Call(client, "create_project", new()
        {
            ["name"] = "Billing service",
            ["slug"] = slug,
            ["repository_url"] = "https://example.com/acme/billing.git",
            ["default_branch"] = "trunk",
            ["timeout_seconds"] = 600,
        });
        created.GetProperty("slug").GetString().ShouldBe(slug);
        created.GetProperty("default_branch").GetString().ShouldBe("trunk");
        created.GetProperty("timeout_seconds").GetInt32().ShouldBe(600);
        created.GetProperty("max_concurrent_tasks").GetInt32().ShouldBe(2);
        created.GetProperty("github_repository").ValueKind.ShouldBe(System.Text.Json.JsonValueKind.Null);

        var listed = await Call(client, "list_projects");
        listed.GetProperty("projects").EnumerateArray().Select(p => p.GetProperty("slug").GetString()).ShouldBe([slug]);

        (await person.Browser.GetHtmlAsync($"/projects/{slug}")).ShouldContain("Billing service");
    }

    [Fact]
    public async Task bad_project_settings_are_answered_with_the_forms_messages()
    {
        var person = await SignedUpWithToken();
        await using var client = await Connect(person);

        var error = await CallFails(client, "create_project", new()
        {
            ["name"] = "",
            ["slug"] = "Not A Slug",
            ["repository_url"] = "not a repository",
            ["timeout_seconds"] = 2,
        });
        error.ShouldContain("“name” is empty; give a value.");
        error.ShouldContain("“slug” must be 1 to 50 lowercase letters, digits and dashes");
        error.ShouldContain("“timeout_seconds” must be between 5 and 86,400; 2 is not.");
        // What only the project rules know is said in their words.
        (await CallFails(client, "create_project", new() { ["name"] = "Name", ["slug"] = "fine-slug", ["repository_url"] = "not a repository" }))
            .ShouldContain("Enter a git repository");

        var slug = await NewProject(client);
        var taken = await CallFails(client, "create_project", new() { ["name"] = "Again", ["slug"] = slug, ["repository_url"] = "https://git.example.com/acme/app.git" });
        taken.ShouldBe($"The slug “{slug}” is not available; choose another.");
    }

    [Fact]
    public async Task a_local_repository_outside_the_listed_directories_is_a_tool_error_naming_the_setting()
    {
        var person = await SignedUpWithToken();
        await using var client = await Connect(person);
        var slug = $"mcp-{Guid.NewGuid():N}"[..16];

        var error = await CallFails(client, "create_project", new() { ["name"] = "Theirs", ["slug"] = slug, ["repository_url"] = "/srv/other-team/billing.git" });
        error.ShouldBe("Local repositories are not allowed here: /srv/other-team/billing.git is not under a directory listed in " +
                       $"Catalyst__Projects__LocalRepositoryRoots (it lists {Path.GetTempPath()}). " +
                       "Ask an admin to add its parent directory, or use an https:// or ssh:// URL.");
        (await Call(client, "list_projects")).GetProperty("projects").GetArrayLength().ShouldBe(0);

        // The sandbox's origin is under the temp directory, which the test hosts list.
        (await Call(client, "create_project", new() { ["name"] = "Ours", ["slug"] = slug, ["repository_url"] = Sandbox.Origin }))
            .GetProperty("repository_url").GetString().ShouldBe(Sandbox.Origin);
    }

    [Fact]
    public async Task a_missing_argument_is_named()
    {
        var person = await SignedUpWithToken();
        await using var client = await Connect(person);
        var error = await CallFails(client, "create_project", new() { ["name"] = "No slug" });
        error.ShouldContain("slug");
    }
}
