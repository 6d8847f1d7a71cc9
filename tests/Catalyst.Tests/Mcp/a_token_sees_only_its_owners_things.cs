using Catalyst.Tests.Infrastructure;

namespace Catalyst.Tests.Mcp;

/// <summary>User B's token against each of user A's objects: the same answer as for something that does not exist.</summary>
public sealed class a_token_sees_only_its_owners_things(McpHostFixture fixture) : McpContext(fixture)
{
    [Fact]
    public async Task another_users_project_does_not_exist_for_you()
    {
        var ada = await SignedUpWithToken("ada");
        var bob = await SignedUpWithToken("bob");
        await using var asAda = await Connect(ada);
        await using var asBob = await Connect(bob);
        var slug = await NewProject(asAda);

        (await Call(asBob, "list_projects")).GetProperty("projects").GetArrayLength().ShouldBe(0);
        (await CallFails(asBob, "list_agent_tasks", new() { ["project"] = slug })).ShouldBe($"The project “{slug}” was not found.");
        (await CallFails(asBob, "list_agent_tasks", new() { ["project"] = "never-created" })).ShouldBe("The project “never-created” was not found.");
        (await CallFails(asBob, "create_agent_task", new()
        {
            ["project"] = slug, ["type"] = "feature-dev", ["instructions"] = "Add a README", ["provider"] = "claude-code", ["credential"] = "work",
        })).ShouldBe($"The project “{slug}” was not found.");
    }
}
