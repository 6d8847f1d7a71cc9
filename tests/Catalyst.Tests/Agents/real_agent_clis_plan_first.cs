using System.Net;
using Catalyst.Tasks.Domain;
using Catalyst.Tasks.Logs;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Tasks;
using Scenario = Catalyst.Tests.Infrastructure.ScriptedModelServer.Scenario;

namespace Catalyst.Tests.Agents;

/// <summary>
/// Plan-first tasks with the real CLIs: the plan phase runs the CLI's read-only plan mode, the task waits with the plan,
/// and the approval resumes the very same CLI session in the same workspace, which then writes and commits.
/// </summary>
public sealed class real_agent_clis_plan_first(AgentsHostFixture fixture) : AgentTaskContext(fixture)
{
    [Theory]
    [InlineData("claude-code", "claude")]
    [InlineData("codex-cli", "codex")]
    [InlineData("gemini-cli", "gemini")]
    [InlineData("qwen-code", "qwen")]
    [InlineData("opencode", "opencode")]
    public async Task the_plan_waits_for_approval_and_the_same_session_carries_it_out(string provider, string program)
    {
        AgentClis.Require(program);
        await using var model = await Fixture.ModelAsync(Scenario.PlanThenWrite);
        var taskId = await StartAsync(provider, model, planFirst: true);

        var waiting = await Store.WaitForAsync(taskId, t => t.Status is AgentTaskStatus.AwaitingApproval || t.Status.IsFinished());
        var logs = await LogsAsync(taskId);
        waiting.Status.ShouldBe(AgentTaskStatus.AwaitingApproval, $"{waiting.Error}\n{Describe(logs)}");
        waiting.Plan.ShouldBe(model.PlanText);
        waiting.Commits.ShouldBeEmpty();
        Sandbox.OriginBranch(waiting.WorkBranch).ShouldBeNull();
        var planCalls = model.ModelCalls.Count;
        planCalls.ShouldBeGreaterThan(0);
        // The plan ran in the CLI's own read-only mode.
        if (provider == "claude-code") logs.ShouldContain(l => l.Message.Contains("permission mode plan"), Describe(logs));
        if (provider == "codex-cli") model.ModelCalls.ShouldContain(r => r.Body.Contains("read-only"), "Codex tells the model its sandbox is read-only");

        var page = await Client.GetHtmlAsync($"/projects/app/agents/{taskId}");
        page.ShouldContain("Approve plan");
        page.ShouldContain("badge awaiting approval");

        var approve = await Client.PostFormAsync($"/projects/app/agents/{taskId}?handler=Approve", new() { ["Notes"] = "Keep the notes to one line." });
        approve.StatusCode.ShouldBe(HttpStatusCode.Redirect, await approve.Content.ReadAsStringAsync());

        var task = await FinishedAsync(taskId);
        logs = await LogsAsync(taskId);
        task.Status.ShouldBe(AgentTaskStatus.Completed, $"{task.Error}\n{Describe(logs)}");
        task.Commits.ShouldHaveSingleItem().Message.ShouldBe("Add agent notes");
        Sandbox.OriginBranch(task.WorkBranch).ShouldBe(task.Commits[0].Sha);

        // The same session: the first request after the approval carries the plan the model wrote before, and the approval with its notes.
        var resumed = model.ModelCalls.Skip(planCalls).Where(r => r.Body.Contains("The plan is approved", StringComparison.Ordinal)).ToList();
        resumed.ShouldNotBeEmpty(Describe(logs));
        resumed[0].Body.ShouldContain(model.PlanText);
        resumed[0].Body.ShouldContain("Keep the notes to one line.");
        logs.ShouldContain(l => l.Kind == TaskLogKinds.ToolCall && l.Message.Contains("git commit"));
        logs.ShouldNotContain(l => l.Message.Contains(Key));
        Directory.Exists(Path.Combine(Fixture.DataDirectory, "workspaces", taskId.ToString())).ShouldBeFalse();
    }
}

/// <summary>
/// An agent that asks for what it may not do: in the plan phase the model tries to write and commit; the CLI has no one
/// to ask (stdin is /dev/null) and its read-only mode refuses, so the agent goes on, and nothing is changed.
/// </summary>
public sealed class an_agent_denied_a_permission_does_not_hang(AgentsHostFixture fixture) : AgentTaskContext(fixture)
{
    [Theory]
    [InlineData("claude-code", "claude")]
    [InlineData("codex-cli", "codex")]
    public async Task a_write_refused_in_the_plan_phase_is_reported_and_the_task_goes_on(string provider, string program)
    {
        AgentClis.Require(program);
        await using var model = await Fixture.ModelAsync(Scenario.WriteAndCommit);
        var taskId = await StartAsync(provider, model, planFirst: true);

        var task = await Store.WaitForAsync(taskId, t => t.Status is AgentTaskStatus.AwaitingApproval || t.Status.IsFinished(), 60);
        var logs = await LogsAsync(taskId);
        task.Status.ShouldBe(AgentTaskStatus.AwaitingApproval, $"{task.Error}\n{Describe(logs)}");
        // The model only says its final text once the tool call came back with a result: here, the refusal.
        task.Plan.ShouldBe(model.FinalText);
        model.ModelCalls.Count.ShouldBeGreaterThanOrEqualTo(2);
        if (provider == "claude-code")
        {
            var call = logs.FirstOrDefault(l => l.Kind == TaskLogKinds.ToolCall).ShouldNotBeNull(Describe(logs));
            call.Message.ShouldContain("git commit");
            logs.First(l => l.Kind == TaskLogKinds.ToolResult && l.Sequence > call.Sequence).Message.ShouldNotBe("committed", Describe(logs));
        }
        // Codex reports no item for a command its read-only sandbox refused; the refusal is on the wire instead.
        if (provider == "codex-cli") model.ModelCalls.ShouldContain(r => r.Body.Contains("function_call_output"), Describe(logs));

        // Nothing changed in the kept workspace: no file, no commit beyond the base.
        var repo = Path.Combine(Fixture.DataDirectory, "workspaces", taskId.ToString(), "repo");
        File.Exists(Path.Combine(repo, model.FileName)).ShouldBeFalse(Describe(logs));
        Sandbox.Git(repo, "log", "--oneline").Trim().Split('\n').Length.ShouldBe(1);

        var reject = await Client.PostFormAsync($"/projects/app/agents/{taskId}?handler=Reject", new());
        reject.StatusCode.ShouldBe(System.Net.HttpStatusCode.Redirect);
        (await FinishedAsync(taskId)).Status.ShouldBe(AgentTaskStatus.Cancelled);
    }
}
