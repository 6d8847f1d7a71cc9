using System.Net;
using System.Net.ServerSentEvents;
using Catalyst.Contracts;
using Catalyst.Integrations.Projects;
using Catalyst.Tasks;
using Catalyst.Tasks.Domain;
using Catalyst.Tests.Infrastructure;
using Marten;

namespace Catalyst.Tests.Broker;

/// <summary>The task page and get_agent_task show what the broker counted against the task's budget, and the page learns of it live.</summary>
public sealed class a_task_shows_its_spend_against_its_budget(AppFixture fixture) : BrokerContext(fixture)
{
    [Fact]
    public async Task the_page_and_the_task_details_show_spend_against_budget()
    {
        using var ada = await SignedUp("ada@example.com");
        var created = await ada.PostFormAsync("/projects/new", new()
        {
            ["Form.Name"] = "Metered", ["Form.Slug"] = "metered", ["Form.RepositoryUrl"] = "https://git.example.com/acme/metered.git", ["Form.DefaultBranch"] = "main",
            ["Form.TimeoutSeconds"] = "600", ["Form.MaxConcurrentTasks"] = "2", ["Form.TaskBudgetTokens"] = "100000", ["Form.TaskBudgetUsd"] = "2.50",
        });
        created.StatusCode.ShouldBe(HttpStatusCode.Redirect, await created.Content.ReadAsStringAsync());
        var adaId = await UserId("ada@example.com");
        Project project;
        await using (var session = Store.QuerySession()) project = await session.Query<Project>().SingleAsync(p => p.Slug == "metered");
        project.TaskBudget.ShouldBe(new TaskBudget(100_000, 2.50m));

        var task = await TaskWithTokenAsync("claude-code", userId: adaId, budget: project.TaskBudget, withStream: false);
        await using (var session = Store.LightweightSession())
        {
            var now = DateTimeOffset.UtcNow;
            session.Events.StartStream<AgentTask>(task.TaskId, new AgentTaskCreated(task.TaskId, project.Id, "metered", "feature-dev", TaskContext.Manual, "claude-code",
                "Claude Code", task.CredentialId, "work", "Add a README.", adaId, now, null, 600, Budget: project.TaskBudget), new WorkspaceRequested(now), new AgentRunStarted(now));
            await session.SaveChangesAsync();
        }

        // The live stream the page listens to: after the status, a usage event once the broker has metered a call.
        using var events = await ada.OpenStreamAsync($"/projects/metered/agents/{task.TaskId}/events?format=json");
        var stream = SseParser.Create(await events.Content.ReadAsStreamAsync()).EnumerateAsync().GetAsyncEnumerator();
        (await stream.MoveNextAsync()).ShouldBeTrue();
        stream.Current.EventType.ShouldBe("status");
        (await Http.SendAsync(ModelCall("claude-code", task.Token, stream: true))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await stream.MoveNextAsync()).ShouldBeTrue();
        stream.Current.EventType.ShouldBe("usage");

        var panels = WebUtility.HtmlDecode(await ada.GetHtmlAsync($"/projects/metered/agents/{task.TaskId}"));
        panels.ShouldContain("5,585 of 100,000 tokens");
        panels.ShouldContain("$0.0072 of $2.50");

        var details = (await Invoke<AgentTaskDetails?>(new GetAgentTask(adaId, task.TaskId)))!.Task;
        (details.TotalTokens, details.BudgetTokens, details.CostUsd, details.BudgetUsd).ShouldBe((5_585L, 100_000L, 0.0072m, 2.50m));
    }
}
