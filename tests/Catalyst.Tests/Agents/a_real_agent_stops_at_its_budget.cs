using System.Net;
using Catalyst.Tasks.Domain;
using Catalyst.Tests.Credentials;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Tasks;

namespace Catalyst.Tests.Agents;

/// <summary>Real Claude Code in its sandbox: once its task is over budget the broker refuses the next call, the model hears nothing more, and the task ends failed saying so.</summary>
public sealed class a_real_agent_stops_at_its_budget(AgentsHostFixture fixture) : AgentTaskContext(fixture)
{
    [Fact]
    public async Task the_call_after_the_budget_is_refused_and_the_task_fails_with_the_budget_message()
    {
        AgentClis.Require("claude");
        await using var model = await Fixture.ModelAsync();
        using var client = new PageClient(Host.Server.CreateHandler());
        (await client.PostFormAsync("/signup", new() { ["Email"] = $"budget-{Guid.NewGuid():N}@example.com", ["Password"] = "correct horse battery" }))
            .StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var created = await client.PostFormAsync("/projects/new", new()
        {
            ["Form.Name"] = "Budget", ["Form.Slug"] = "budget", ["Form.RepositoryUrl"] = Sandbox.Origin, ["Form.DefaultBranch"] = "main",
            ["Form.TimeoutSeconds"] = "120", ["Form.MaxConcurrentTasks"] = "2", ["Form.TaskBudgetTokens"] = "1000",
        });
        created.StatusCode.ShouldBe(HttpStatusCode.Redirect, await created.Content.ReadAsStringAsync());
        var credential = await client.AddCredentialAsync(Store, "claude-code", Key, "budget", model.BaseUrl, null);
        var response = await client.PostFormAsync("/projects/budget/agents/new", new()
        {
            ["Type"] = "feature-dev", ["Provider"] = "claude-code", ["CredentialId"] = credential.ToString(),
            ["Instructions"] = "Write AGENT_NOTES.md with a line of notes and commit it.",
        });
        response.StatusCode.ShouldBe(HttpStatusCode.Redirect, await response.Content.ReadAsStringAsync());
        var taskId = Guid.Parse(response.Headers.Location!.ToString().Split('/').Last());

        var task = await FinishedAsync(taskId);

        var logs = await LogsAsync(taskId);
        task.Status.ShouldBe(AgentTaskStatus.Failed, Describe(logs));
        var spent = ScriptedModelServer.InputTokens + ScriptedModelServer.OutputTokens;
        task.Error.ShouldBe($"Budget reached: {spent:N0} of 1,000 tokens for this task");
        // The first call crossed the line and was answered; nothing reached the model after it.
        model.ModelCalls.Count.ShouldBe(1);
        model.KeysSeen().ShouldAllBe(k => k.Value == Key);
    }
}
