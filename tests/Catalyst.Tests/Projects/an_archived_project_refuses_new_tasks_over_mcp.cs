using System.Net;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Mcp;
using Catalyst.Tests.Tasks;

namespace Catalyst.Tests.Projects;

/// <summary>The MCP tools send the commands the pages send: an archived project refuses a task, parallel runs and a retry alike, in words.</summary>
public sealed class an_archived_project_refuses_new_tasks_over_mcp(BrowserFixture fixture) : McpContext(fixture)
{
    [Fact]
    public async Task create_parallel_and_retry_answer_that_the_project_is_archived_until_it_is_unarchived()
    {
        var ada = await SignedUpWithToken("ada");
        await using var client = await Connect(ada);
        await AddCredential(ada);
        var project = await NewRepositoryProject(client);
        var failed = await StartTask(client, project, "exit 3");
        (await WaitForStatus(client, failed, "failed")).GetProperty("status").GetString().ShouldBe("failed");

        (await ada.Browser.PostFormAsync($"/projects/{project}/edit?handler=Archive", new(), formPage: $"/projects/{project}/edit"))
            .StatusCode.ShouldBe(HttpStatusCode.Redirect);

        var archived = $"The project “{project}” is archived and takes no new tasks. Unarchive it on its settings page to start tasks again.";
        (await CallFails(client, "create_agent_task", new()
        {
            ["project"] = project, ["type"] = "feature-dev", ["instructions"] = "echo hi", ["provider"] = ScriptAgent.Name, ["credential"] = "work",
        })).ShouldBe(archived);
        (await CallFails(client, "create_parallel_agent_task", new()
        {
            ["project"] = project, ["type"] = "feature-dev", ["instructions"] = "echo hi",
            ["runs"] = new[] { Run(), Run() },
        })).ShouldBe(archived);
        (await CallFails(client, "retry_agent_task", new() { ["task_id"] = failed.ToString() })).ShouldBe(archived);

        (await ada.Browser.PostFormAsync($"/projects/{project}/edit?handler=Unarchive", new(), formPage: $"/projects/{project}/edit"))
            .StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var started = await StartTask(client, project, "echo again");
        (await WaitForStatus(client, started, "completed", "failed")).GetProperty("status").GetString().ShouldBe("completed");
    }

    private static Dictionary<string, object?> Run() => new() { ["provider"] = ScriptAgent.Name, ["credential"] = "work" };
}
