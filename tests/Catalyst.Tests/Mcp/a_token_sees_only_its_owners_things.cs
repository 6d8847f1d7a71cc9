using Catalyst.Tests.Credentials;
using Catalyst.Tests.Infrastructure;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace Catalyst.Tests.Mcp;

/// <summary>User B's token against each of user A's objects: the same answer as for something that does not exist.</summary>
public sealed class a_token_sees_only_its_owners_things(BrowserFixture fixture) : McpContext(fixture)
{
    [Fact]
    public async Task another_users_project_task_and_credential_do_not_exist_for_you()
    {
        var ada = await SignedUpWithToken("ada");
        var bob = await SignedUpWithToken("bob");
        await using var asAda = await Connect(ada);
        await using var asBob = await Connect(bob);
        var (adasCredential, adasKey) = await AddCredential(ada);
        var adasProject = await NewRepositoryProject(asAda);
        var adasTask = await StartTask(asAda, adasProject, "echo 'ada was here'");
        await WaitForStatus(asAda, adasTask, "completed", "failed");
        var nobodysTask = Guid.NewGuid().ToString();

        // Projects.
        (await Call(asBob, "list_projects")).GetProperty("projects").GetArrayLength().ShouldBe(0);
        (await CallFails(asBob, "list_agent_tasks", new() { ["project"] = adasProject })).ShouldBe($"The project “{adasProject}” was not found.");
        (await CallFails(asBob, "list_agent_tasks", new() { ["project"] = "never-created" })).ShouldBe("The project “never-created” was not found.");
        (await CallFails(asBob, "create_agent_task", new()
        {
            ["project"] = adasProject, ["type"] = "feature-dev", ["instructions"] = "echo hi", ["provider"] = ScriptAgent.Name, ["credential"] = "work",
        })).ShouldBe($"The project “{adasProject}” was not found.");

        // Tasks: every task tool answers as for a task that never existed.
        foreach (var tool in new[] { "get_agent_task", "cancel_agent_task", "retry_agent_task", "get_agent_task_logs" })
        {
            var forAdas = await CallFails(asBob, tool, new() { ["task_id"] = adasTask.ToString() });
            forAdas.ShouldBe("The task was not found.", tool);
            forAdas.ShouldBe(await CallFails(asBob, tool, new() { ["task_id"] = nobodysTask }), tool);
        }

        // Credentials: Bob sees none of Ada's, and cannot use hers by id or by label, even on his own project.
        var bobsProvider = await Call(asBob, "get_agent_provider", new() { ["name"] = ScriptAgent.Name });
        bobsProvider.GetProperty("your_credentials").GetArrayLength().ShouldBe(0);
        var bobsProject = await NewRepositoryProject(asBob);
        var byId = await CallFails(asBob, "create_agent_task", new()
        {
            ["project"] = bobsProject, ["type"] = "feature-dev", ["instructions"] = "echo hi", ["provider"] = ScriptAgent.Name, ["credential"] = adasCredential.ToString(),
        });
        byId.ShouldBe("That credential was not found among yours. Choose one of your credentials, or add one under Agent credentials.");
        (await CallFails(asBob, "create_agent_task", new()
        {
            ["project"] = bobsProject, ["type"] = "feature-dev", ["instructions"] = "echo hi", ["provider"] = ScriptAgent.Name, ["credential"] = Guid.NewGuid().ToString(),
        })).ShouldBe(byId);
        (await CallFails(asBob, "create_agent_task", new()
        {
            ["project"] = bobsProject, ["type"] = "feature-dev", ["instructions"] = "echo hi", ["provider"] = ScriptAgent.Name, ["credential"] = "work",
        })).ShouldBe(byId);

        // And Ada still sees all of hers, never with the key.
        var adasProvider = await Call(asAda, "get_agent_provider", new() { ["name"] = ScriptAgent.Name });
        adasProvider.GetProperty("your_credentials").EnumerateArray().ShouldHaveSingleItem().GetProperty("id").GetGuid().ShouldBe(adasCredential);
        adasProvider.GetRawText().ShouldNotContain(adasKey);
        (await Call(asAda, "get_agent_task", new() { ["task_id"] = adasTask.ToString() })).GetRawText().ShouldNotContain(adasKey);
    }
}
