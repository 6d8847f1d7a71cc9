using Catalyst.Tests.Credentials;
using Catalyst.Tests.Infrastructure;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace Catalyst.Tests.Mcp;

/// <summary>Bad arguments get tool errors (isError) carrying the messages the pages show for the same mistake.</summary>
public sealed class agent_task_tools_answer_mistakes_clearly(BrowserFixture fixture) : McpContext(fixture)
{
    private static Dictionary<string, object?> Task(string project, string instructions = "Fix the failing test", string type = "issue-fix") => new()
    {
        ["project"] = project,
        ["type"] = type,
        ["instructions"] = instructions,
        ["provider"] = "claude-code",
        ["credential"] = "work",
    };

    [Fact]
    public async Task empty_instructions_an_unknown_type_and_a_bad_context_are_named()
    {
        var person = await SignedUpWithToken();
        await using var client = await Connect(person);
        var slug = await NewProject(client);

        (await CallFails(client, "create_agent_task", Task(slug, instructions: "   ")))
            .ShouldBe("Write the instructions: what should the agent do?");
        (await CallFails(client, "create_agent_task", Task(slug, type: "cleanup")))
            .ShouldBe("Invalid arguments for create_agent_task: “type” must be one of pr-review, issue-fix, feature-dev, refactor; “cleanup” is not.");

        var noNumber = Task(slug);
        noNumber["context"] = "issue";
        (await CallFails(client, "create_agent_task", noNumber)).ShouldBe("A pull request or issue context needs its number.");
        noNumber["context"] = "slack";
        (await CallFails(client, "create_agent_task", noNumber))
            .ShouldBe("Invalid arguments for create_agent_task: “context” must be one of manual, pull-request, issue; “slack” is not.");
    }

    [Fact]
    public async Task an_unknown_provider_and_unusable_credentials_are_explained()
    {
        var person = await SignedUpWithToken();
        await using var client = await Connect(person);
        await AddCredential(person, "work");
        var slug = await NewRepositoryProject(client);
        Dictionary<string, object?> Task(string provider, string credential) => new()
        {
            ["project"] = slug, ["type"] = "feature-dev", ["instructions"] = "echo hi", ["provider"] = provider, ["credential"] = credential,
        };

        (await CallFails(client, "create_agent_task", Task("no-such-agent", "work")))
            .ShouldBe("There is no active agent provider “no-such-agent”. Use one of the providers listed under Agent credentials.");
        (await CallFails(client, "create_agent_task", Task(ScriptAgent.Name, "personal")))
            .ShouldBe("That credential was not found among yours. Choose one of your credentials, or add one under Agent credentials.");

        // A credential of the wrong provider, chosen by id.
        var claudeKey = FakeModelVendor.NewKey("sk-ant-");
        var claude = await person.Browser.AddCredentialAsync(Fixture.Services.GetRequiredService<IDocumentStore>(), "claude-code", claudeKey, "claude");
        (await CallFails(client, "create_agent_task", Task(ScriptAgent.Name, claude.ToString())))
            .ShouldBe("The credential “claude” is for claude-code, not script-agent; choose a Script agent credential.");

        // Nothing was created by any of these.
        (await Call(client, "list_agent_tasks", new() { ["project"] = slug })).GetProperty("total").GetInt32().ShouldBe(0);
    }

    [Fact]
    public async Task an_unknown_project_is_not_found()
    {
        var person = await SignedUpWithToken();
        await using var client = await Connect(person);

        (await CallFails(client, "create_agent_task", Task("no-such-project"))).ShouldBe("The project “no-such-project” was not found.");
        (await CallFails(client, "list_agent_tasks", new() { ["project"] = "no-such-project" })).ShouldBe("The project “no-such-project” was not found.");
    }

    [Fact]
    public async Task an_unknown_task_is_not_found_by_every_task_tool()
    {
        var person = await SignedUpWithToken();
        await using var client = await Connect(person);

        foreach (var tool in new[] { "get_agent_task", "cancel_agent_task", "retry_agent_task", "get_agent_task_logs", "wait_for_agent_task", "approve_agent_plan", "reject_agent_plan" })
        {
            (await CallFails(client, tool, new() { ["task_id"] = Guid.NewGuid().ToString() })).ShouldBe("The task was not found.", tool);
            (await CallFails(client, tool, new() { ["task_id"] = "not-a-task-id" }))
                .ShouldBe($"Invalid arguments for {tool}: “task_id” must be a UUID such as 0192f0c4-5b7e-7c3a-9d2e-4f6a8b1c2d3e, as the tools return it.", tool);
        }
    }

    [Fact]
    public async Task unknown_filters_are_explained()
    {
        var person = await SignedUpWithToken();
        await using var client = await Connect(person);
        var slug = await NewProject(client);

        var error = await CallFails(client, "list_agent_tasks", new() { ["project"] = slug, ["status"] = "done", ["type"] = "chore" });
        error.ShouldContain("“status” must be one of pending, provisioning, running, awaiting-approval, awaiting-choice, completed, failed, cancelled, timeout; “done” is not.");
        error.ShouldContain("“type” must be one of pr-review, issue-fix, feature-dev, refactor; “chore” is not.");

        // The spellings of the prose that came before are still understood.
        (await Call(client, "list_agent_tasks", new() { ["project"] = slug, ["status"] = "awaiting approval" })).GetProperty("total").GetInt32().ShouldBe(0);
        (await Call(client, "list_agent_tasks", new() { ["project"] = slug, ["status"] = "Awaiting_Choice", ["type"] = "feature_dev" })).GetProperty("total").GetInt32().ShouldBe(0);

        var empty = await Call(client, "list_agent_tasks", new() { ["project"] = slug, ["status"] = "running" });
        empty.GetProperty("tasks").GetArrayLength().ShouldBe(0);
        empty.GetProperty("total").GetInt32().ShouldBe(0);
    }

    [Fact]
    public async Task arguments_of_the_wrong_shape_are_named()
    {
        var person = await SignedUpWithToken();
        await using var client = await Connect(person);

        (await CallFails(client, "list_agent_tasks", new() { ["project"] = "x", ["limit"] = "ten" }))
            .ShouldBe("Invalid arguments for list_agent_tasks: “limit” must be an integer.");
        (await CallFails(client, "create_agent_task", new() { ["project"] = "x", ["instructions"] = "Do it" }))
            .ShouldBe("Invalid arguments for create_agent_task: “type” is required. “provider” is required. “credential” is required.");
        (await CallFails(client, "list_agent_tasks", new() { ["project_slug"] = "x" }))
            .ShouldBe("Invalid arguments for list_agent_tasks: “project” is required. There is no argument “project_slug”; the arguments are project, status, type, limit, page.");
    }
}
