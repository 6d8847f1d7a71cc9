using System.Net;
using System.Text.Json;
using Alba;
using Catalyst.Contracts;
using Catalyst.Tasks.Domain;
using Catalyst.Tasks.Logs;
using Catalyst.Tests.Infrastructure;
using Wolverine.Tracking;

namespace Catalyst.Tests.Broker;

/// <summary>An unknown, revoked or replaced token, or one of an ended task, is refused in the vendor's own words, and nothing reaches the vendor.</summary>
public sealed class tokens_that_are_not_the_tasks_own_are_refused(AppFixture fixture) : BrokerContext(fixture)
{
    private async Task ShouldBeRefused(string provider, string token, string style = "header")
    {
        using var response = await Http.SendAsync(ModelCall(provider, token, style: style));
        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        switch (provider)
        {
            case "claude-code":
                error.GetProperty("type").GetString().ShouldBe("error");
                error.GetProperty("error").GetProperty("type").GetString().ShouldBe("authentication_error");
                error.GetProperty("error").GetProperty("message").GetString().ShouldNotBeNullOrEmpty();
                break;
            case "gemini-cli":
                error.GetProperty("error").GetProperty("code").GetInt32().ShouldBe(401);
                error.GetProperty("error").GetProperty("status").GetString().ShouldBe("UNAUTHENTICATED");
                break;
            default:
                error.GetProperty("error").GetProperty("type").GetString().ShouldBe("invalid_request_error");
                error.GetProperty("error").GetProperty("code").GetString().ShouldBe("invalid_api_key");
                break;
        }
    }

    [Theory]
    [InlineData("claude-code", "header")]
    [InlineData("codex-cli", "header")]
    [InlineData("gemini-cli", "header")]
    [InlineData("gemini-cli", "query")]
    public async Task an_unknown_token_or_a_real_key_gets_the_vendors_401(string provider, string style)
    {
        var task = await TaskWithTokenAsync(provider);
        await ShouldBeRefused(provider, "cat_task_" + task.Token[^20..] + "AAAAAAAAAAAAAAAAAAAAAAA", style);
        await ShouldBeRefused(provider, task.Key, style);
        Vendor.Requests.ShouldBeEmpty();
    }

    [Fact]
    public async Task a_revoked_token_stops_working_at_once()
    {
        var task = await TaskWithTokenAsync("claude-code");
        (await Http.SendAsync(ModelCall("claude-code", task.Token))).StatusCode.ShouldBe(HttpStatusCode.OK);

        await Invoke<object?>(new RevokeTaskToken(task.TaskId));
        await ShouldBeRefused("claude-code", task.Token);
        Vendor.Requests.Count.ShouldBe(1);
    }

    [Fact]
    public async Task a_new_token_for_the_task_replaces_the_old_one()
    {
        var task = await TaskWithTokenAsync("codex-cli");
        (await Http.SendAsync(ModelCall("codex-cli", task.Token))).StatusCode.ShouldBe(HttpStatusCode.OK);
        var info = await Invoke<AgentProviderInfo?>(new GetAgentProvider("codex-cli"));
        var again = await Invoke<TaskAccess?>(new IssueTaskToken(task.TaskId, task.CredentialId, info!));

        await ShouldBeRefused("codex-cli", task.Token);
        (await Http.SendAsync(ModelCall("codex-cli", again!.Token))).StatusCode.ShouldBe(HttpStatusCode.OK);
        Vendor.Requests.Count.ShouldBe(2);
    }

    [Fact]
    public async Task a_token_stops_working_when_its_task_ends()
    {
        var task = await TaskWithTokenAsync("gemini-cli");
        (await Http.SendAsync(ModelCall("gemini-cli", task.Token))).StatusCode.ShouldBe(HttpStatusCode.OK);

        // Every way a task ends announces its new status; the broker's token goes with it.
        await Host.InvokeMessageAndWaitAsync(new AgentTaskStatusChanged(task.TaskId, AgentTaskStatus.Cancelled));
        await ShouldBeRefused("gemini-cli", task.Token);
        Vendor.Requests.Count.ShouldBe(1);
    }

    [Fact]
    public async Task a_late_plan_waiting_notice_does_not_kill_the_execute_phases_token()
    {
        // The plan's workspace ended (its backend revoked the plan's token then) and the approval already gave the
        // execute phase a token of its own: the "awaiting approval" status change, handled late on a loaded machine,
        // must not take that token with it.
        var task = await TaskWithTokenAsync("claude-code");
        var info = await Invoke<AgentProviderInfo?>(new GetAgentProvider("claude-code"));
        var execute = await Invoke<TaskAccess?>(new IssueTaskToken(task.TaskId, task.CredentialId, info!));

        await Host.InvokeMessageAndWaitAsync(new AgentTaskStatusChanged(task.TaskId, AgentTaskStatus.AwaitingApproval));
        (await Http.SendAsync(ModelCall("claude-code", execute!.Token))).StatusCode.ShouldBe(HttpStatusCode.OK);
        Vendor.Requests.Count.ShouldBe(1);
    }

    [Fact]
    public async Task a_task_gets_no_token_for_a_credential_it_was_not_granted()
    {
        var mine = await TaskWithTokenAsync("claude-code");
        var theirs = await TaskWithTokenAsync("claude-code");
        var info = await Invoke<AgentProviderInfo?>(new GetAgentProvider("claude-code"));
        (await Invoke<TaskAccess?>(new IssueTaskToken(mine.TaskId, theirs.CredentialId, info!))).ShouldBeNull();
        (await Invoke<TaskAccess?>(new IssueTaskToken(Guid.NewGuid(), mine.CredentialId, info!))).ShouldBeNull();

        // Each token stands for its own task's key only.
        (await Http.SendAsync(ModelCall("claude-code", theirs.Token))).StatusCode.ShouldBe(HttpStatusCode.OK);
        Vendor.Requests.ShouldHaveSingleItem().Headers["x-api-key"].ShouldBe(theirs.Key);
        await ShouldBeRefused("claude-code", mine.Token + "x");
    }
}
