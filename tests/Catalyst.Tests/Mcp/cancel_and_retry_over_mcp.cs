using Catalyst.Tests.Workspaces;
using Catalyst.Tests.Infrastructure;

namespace Catalyst.Tests.Mcp;

public sealed class cancel_and_retry_over_mcp(BrowserFixture fixture) : McpContext(fixture)
{
    [Fact]
    public async Task a_running_task_is_cancelled_then_retried_as_a_new_task_that_completes()
    {
        var ada = await SignedUpWithToken("ada");
        await using var client = await Connect(ada);
        await AddCredential(ada);
        var project = await NewRepositoryProject(client);
        // The first run waits to be cancelled; the retry (same instructions) finds the marker the test leaves after the
        // cancel, in the directory every sandbox sees read-only, and finishes.
        var marker = Path.Combine(WorkspaceSandbox.AgentsDirectory, $"ran-{Guid.NewGuid():N}");
        var taskId = await StartTask(client, project, $"""
            if [ -e "{marker}" ]; then
              echo "second run" >> README.md
              git commit --quiet -am "Agent change"
              exit 0
            fi
            echo "waiting to be cancelled"
            sleep 300
            """);

        await WaitForStatus(client, taskId, "running");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline
               && !(await Call(client, "get_agent_task_logs", new() { ["task_id"] = taskId.ToString() })).ToString().Contains("waiting to be cancelled"))
            await Task.Delay(100, TestContext.Current.CancellationToken);

        var cancelling = await Call(client, "cancel_agent_task", new() { ["task_id"] = taskId.ToString() });
        cancelling.GetProperty("cancel_requested").GetBoolean().ShouldBeTrue();
        cancelling.GetProperty("can_cancel").GetBoolean().ShouldBeFalse();
        var cancelled = await WaitForStatus(client, taskId, "cancelled", "failed", "completed");
        cancelled.GetProperty("status").GetString().ShouldBe("cancelled");
        cancelled.GetProperty("can_retry").GetBoolean().ShouldBeTrue();
        await File.WriteAllTextAsync(marker, "");

        (await CallFails(client, "cancel_agent_task", new() { ["task_id"] = taskId.ToString() }))
            .ShouldBe("The task already ended cancelled; there is nothing to cancel.");

        var retry = await Call(client, "retry_agent_task", new() { ["task_id"] = taskId.ToString() });
        var retryId = retry.GetProperty("task_id").GetGuid();
        retryId.ShouldNotBe(taskId);
        retry.GetProperty("status").GetString().ShouldBe("pending");

        var finished = await WaitForStatus(client, retryId, "completed", "failed", "cancelled");
        finished.GetProperty("status").GetString().ShouldBe("completed", finished.GetProperty("error").ToString());
        finished.GetProperty("retry_of").GetGuid().ShouldBe(taskId);
        (await GetTask(client, taskId)).GetProperty("retried_as").GetGuid().ShouldBe(retryId);

        (await CallFails(client, "retry_agent_task", new() { ["task_id"] = taskId.ToString() }))
            .ShouldBe($"This task was already retried as {retryId}.");
        (await CallFails(client, "retry_agent_task", new() { ["task_id"] = retryId.ToString() }))
            .ShouldBe("Only a failed, cancelled or timed-out task can be retried; this one is completed.");
    }
}
