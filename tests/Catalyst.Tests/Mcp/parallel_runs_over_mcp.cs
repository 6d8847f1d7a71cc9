using System.Text.Json;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Tasks;

namespace Catalyst.Tests.Mcp;

public sealed class parallel_runs_over_mcp(BrowserFixture fixture) : McpContext(fixture)
{
    private static Dictionary<string, object?> Run(string credential = "work") => new() { ["provider"] = ScriptAgent.Name, ["credential"] = credential };

    [Fact]
    public async Task runs_are_started_followed_and_one_is_chosen_over_mcp()
    {
        var ada = await SignedUpWithToken("ada");
        await using var client = await Connect(ada);
        var (credentialId, _) = await AddCredential(ada);
        var project = await NewRepositoryProject(client);

        var created = await Call(client, "create_parallel_agent_task", new()
        {
            ["project"] = project, ["type"] = "feature-dev", ["instructions"] = ParallelRunSteps.ScriptWhere(run2: "exit 5"),
            ["runs"] = new[] { Run(), Run(credentialId.ToString()), Run() },
        });
        created.GetProperty("status").GetString().ShouldBe("running");
        var requestId = created.GetProperty("task_id").GetGuid();

        var request = await WaitForStatus(client, requestId, "awaiting-choice", "failed", "completed");
        request.GetProperty("status").GetString().ShouldBe("awaiting-choice", request.GetProperty("error").ToString());
        request.GetProperty("is_parallel").GetBoolean().ShouldBeTrue();
        request.GetProperty("can_retry").GetBoolean().ShouldBeFalse();
        var details = await Call(client, "get_agent_task", new() { ["task_id"] = requestId.ToString() });
        var runs = details.GetProperty("runs").EnumerateArray().ToList();
        runs.Select(r => r.GetProperty("status").GetString()).ShouldBe(["completed", "failed", "completed"]);
        runs.Select(r => r.GetProperty("run_number").GetInt32()).ShouldBe([1, 2, 3]);
        runs.ShouldAllBe(r => r.GetProperty("parent_id").GetGuid() == requestId);
        request.GetProperty("run_ids").EnumerateArray().Select(r => r.GetGuid()).ShouldBe(runs.Select(r => r.GetProperty("id").GetGuid()));
        // Runs are listed under their request, not beside it.
        var listed = await Call(client, "list_agent_tasks", new() { ["project"] = project });
        listed.GetProperty("tasks").EnumerateArray().Select(t => t.GetProperty("id").GetGuid()).ShouldBe([requestId]);

        var failedRun = runs[1].GetProperty("id").GetString()!;
        (await CallFails(client, "choose_agent_run", new() { ["task_id"] = requestId.ToString(), ["run_id"] = failedRun }))
            .ShouldBe("Only a completed run can be chosen; run 2 (Script agent) is failed.");

        var third = runs[2];
        var chosen = await Call(client, "choose_agent_run", new() { ["task_id"] = requestId.ToString(), ["run_id"] = third.GetProperty("id").GetString() });
        chosen.GetProperty("status").GetString().ShouldBe("completed");
        chosen.GetProperty("chosen_run_id").GetString().ShouldBe(third.GetProperty("id").GetString());
        var branch = third.GetProperty("work_branch").GetString()!;
        chosen.GetProperty("work_branch").GetString().ShouldBe(branch);
        var commit = chosen.GetProperty("commits").EnumerateArray().Last();
        Sandbox.OriginBranch(branch).ShouldBe(commit.GetProperty("sha").GetString());

        (await CallFails(client, "choose_agent_run", new() { ["task_id"] = requestId.ToString(), ["run_id"] = runs[0].GetProperty("id").GetString() }))
            .ShouldBe("Run 3 was already chosen; a request's result is chosen once.");
        var timeline = (await Call(client, "get_agent_task", new() { ["task_id"] = requestId.ToString() })).GetProperty("timeline").EnumerateArray()
            .Select(e => e.GetProperty("title").GetString()).ToList();
        timeline.ShouldContain("Run 3 chosen");
        timeline.ShouldContain("Awaiting choice");
    }

    [Fact]
    public async Task mistakes_are_answered_with_the_pages_messages_and_others_requests_do_not_exist()
    {
        var ada = await SignedUpWithToken("ada");
        await using var client = await Connect(ada);
        await AddCredential(ada);
        var project = await NewRepositoryProject(client);

        (await CallFails(client, "create_parallel_agent_task", new()
        {
            ["project"] = project, ["type"] = "feature-dev", ["instructions"] = "x", ["runs"] = new[] { Run() },
        })).ShouldBe("Invalid arguments for create_parallel_agent_task: “runs” has 1 item; give 2 to 5 items.");
        (await CallFails(client, "create_parallel_agent_task", new()
        {
            ["project"] = project, ["type"] = "feature-dev", ["instructions"] = "x", ["runs"] = new[] { Run(), Run("nope") },
        })).ShouldBe("Run 2: That credential was not found among yours. Choose one of your credentials, or add one under Agent credentials.");
        (await CallFails(client, "create_parallel_agent_task", new()
        {
            ["project"] = project, ["type"] = "feature-dev", ["instructions"] = "x", ["runs"] = "two",
        })).ShouldBe("Invalid arguments for create_parallel_agent_task: “runs” must be an array.");

        var request = (await Call(client, "create_parallel_agent_task", new()
        {
            ["project"] = project, ["type"] = "feature-dev", ["instructions"] = "echo hi", ["runs"] = new[] { Run(), Run() },
        })).GetProperty("task_id").GetString()!;
        var bob = await SignedUpWithToken("bob");
        await using var bobs = await Connect(bob);
        (await CallFails(bobs, "choose_agent_run", new() { ["task_id"] = request, ["run_id"] = Guid.NewGuid().ToString() })).ShouldBe("The task was not found.");
        (await CallFails(bobs, "get_agent_task", new() { ["task_id"] = request })).ShouldBe("The task was not found.");
        (await CallFails(client, "choose_agent_run", new() { ["task_id"] = request, ["run_id"] = Guid.NewGuid().ToString() }))
            .ShouldBe("That run is not one of this request's runs.");
        await WaitForStatus(client, Guid.Parse(request), "awaiting-choice", "failed");
    }
}
