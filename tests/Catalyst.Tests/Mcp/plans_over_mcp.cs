using Catalyst.Tests.Infrastructure;
using ModelContextProtocol.Client;

namespace Catalyst.Tests.Mcp;

public sealed class plans_over_mcp(BrowserFixture fixture) : McpContext(fixture)
{
    private const string PlanningAgent = """
        if [ "$1" = plan ]; then echo "1. Add CHANGES.md"; exit 0; fi
        printf '%s\n' "$2" > CHANGES.md
        git add CHANGES.md
        git commit -qm "Add CHANGES.md"
        """;

    private static async Task<Guid> StartPlanFirst(McpClient client, string project) =>
        (await Call(client, "create_agent_task", new()
        {
            ["project"] = project, ["type"] = "feature-dev", ["instructions"] = PlanningAgent, ["provider"] = ScriptAgent.Name,
            ["credential"] = "work", ["plan_first"] = true,
        })).GetProperty("task_id").GetGuid();

    [Fact]
    public async Task an_agent_reads_the_plan_approves_it_and_another_rejects_one()
    {
        var ada = await SignedUpWithToken("ada");
        await using var client = await Connect(ada);
        await AddCredential(ada);
        var project = await NewRepositoryProject(client);

        var taskId = await StartPlanFirst(client, project);
        var waiting = await WaitForStatus(client, taskId, "awaiting-approval", "failed", "completed");
        waiting.GetProperty("status").GetString().ShouldBe("awaiting-approval", waiting.GetProperty("error").ToString());
        waiting.GetProperty("plan").GetString().ShouldBe("1. Add CHANGES.md");
        waiting.GetProperty("plan_first").GetBoolean().ShouldBeTrue();
        waiting.GetProperty("can_decide_plan").GetBoolean().ShouldBeTrue();

        // Someone outside the project does not see the task.
        var eve = await SignedUpWithToken("eve");
        await using (var outsider = await Connect(eve))
            (await CallFails(outsider, "approve_agent_plan", new() { ["task_id"] = taskId.ToString() })).ShouldBe("The task was not found.");

        var approved = await Call(client, "approve_agent_plan", new() { ["task_id"] = taskId.ToString(), ["notes"] = "Say thanks." });
        approved.GetProperty("status").GetString().ShouldBe("pending");
        var done = await WaitForStatus(client, taskId, "completed", "failed", "cancelled");
        done.GetProperty("status").GetString().ShouldBe("completed", done.GetProperty("error").ToString());
        done.GetProperty("commits").GetArrayLength().ShouldBe(1);
        (await CallFails(client, "reject_agent_plan", new() { ["task_id"] = taskId.ToString() }))
            .ShouldBe("Its plan is not waiting for approval: the task is completed.");

        var second = await StartPlanFirst(client, project);
        await WaitForStatus(client, second, "awaiting-approval");
        var rejected = await Call(client, "reject_agent_plan", new() { ["task_id"] = second.ToString(), ["reason"] = "Not now." });
        rejected.GetProperty("status").GetString().ShouldBe("cancelled");
        rejected.GetProperty("error").GetString().ShouldBe("The plan was rejected: Not now.");
    }

    [Fact]
    public async Task plan_first_with_an_agent_that_cannot_plan_is_a_clear_error()
    {
        var ada = await SignedUpWithToken("ada");
        await using var client = await Connect(ada);
        var project = await NewRepositoryProject(client);
        (await CallFails(client, "create_agent_task", new()
        {
            ["project"] = project, ["type"] = "feature-dev", ["instructions"] = "Fix it.", ["provider"] = "aider", ["credential"] = "work", ["plan_first"] = true,
        })).ShouldContain("Aider cannot write a plan for approval first.");
        (await CallFails(client, "approve_agent_plan", new() { ["task_id"] = Guid.NewGuid().ToString() })).ShouldBe("The task was not found.");
        (await CallFails(client, "approve_agent_plan", new() { ["task_id"] = "not-a-task" }))
            .ShouldBe("Invalid arguments for approve_agent_plan: “task_id” must be a UUID such as 0192f0c4-5b7e-7c3a-9d2e-4f6a8b1c2d3e, as the tools return it.");
    }
}
