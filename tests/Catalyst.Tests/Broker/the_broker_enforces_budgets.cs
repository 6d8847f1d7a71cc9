using System.Net;
using System.Text.Json;
using Catalyst.Contracts;
using Catalyst.Credentials;
using Catalyst.Tasks.Domain;
using Catalyst.Tests.Infrastructure;
using Wolverine;
using Wolverine.Tracking;

namespace Catalyst.Tests.Broker;

/// <summary>
/// Over its budget (the task's, or its owner's month's) a task's next model call is refused in the vendor's words,
/// nothing more reaches the vendor, and the task ends failed saying which budget.
/// </summary>
public sealed class the_broker_enforces_budgets(AppFixture fixture) : BrokerContext(fixture)
{
    private static JsonElement Json(string body) => JsonDocument.Parse(body).RootElement;

    private async Task TheTaskEndsFailedWith(Guid taskId, string message)
    {
        await Eventually(async () => (await TaskAsync(taskId)).BudgetMessage == message, "the task is told its budget was reached");
        // The backend stops the agent and reports how it ended; the budget is the reason given.
        await Host.InvokeMessageAndWaitAsync(new WorkspaceExited(taskId, WorkspaceEnd.Cancelled, 143, null, null, DateTimeOffset.UtcNow));
        var task = await TaskAsync(taskId);
        task.Status.ShouldBe(AgentTaskStatus.Failed);
        task.Error.ShouldBe(message);
    }

    [Fact]
    public async Task over_its_token_budget_a_tasks_next_call_is_refused_and_the_task_ends_failed()
    {
        var task = await TaskWithTokenAsync("claude-code", budget: new TaskBudget(5_000, null));
        (await Http.SendAsync(ModelCall("claude-code", task.Token, stream: true))).StatusCode.ShouldBe(HttpStatusCode.OK);

        HttpResponseMessage refused = null!;
        var tracked = await Host.TrackActivity().Timeout(TimeSpan.FromSeconds(30))
            .ExecuteAndWaitAsync((Func<IMessageContext, Task>)(async _ => refused = await Http.SendAsync(ModelCall("claude-code", task.Token, stream: true))));

        const string message = "Budget reached: 5,585 of 5,000 tokens for this task";
        refused.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        refused.Headers.GetValues("x-should-retry").ShouldBe(["false"]);
        var error = Json(await refused.Content.ReadAsStringAsync());
        error.GetProperty("type").GetString().ShouldBe("error");
        error.GetProperty("error").GetProperty("type").GetString().ShouldBe("rate_limit_error");
        error.GetProperty("error").GetProperty("message").GetString().ShouldBe(message);
        Vendor.Requests.Count.ShouldBe(1, "nothing reaches the vendor after the limit");

        var stop = tracked.Sent.SingleMessage<StopWorkspace>();
        (stop.TaskId, stop.Reason, stop.End).ShouldBe((task.TaskId, message, WorkspaceEnd.Failed));
        await TheTaskEndsFailedWith(task.TaskId, message);
        // The task has ended: its token is gone, not merely over budget.
        (await Http.SendAsync(ModelCall("claude-code", task.Token, stream: true))).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        Vendor.Requests.Count.ShouldBe(1);
    }

    [Fact]
    public async Task over_its_dollar_budget_a_task_gets_openais_quota_error()
    {
        var task = await TaskWithTokenAsync("codex-cli", budget: new TaskBudget(null, 0.005m));
        (await Http.SendAsync(ModelCall("codex-cli", task.Token))).StatusCode.ShouldBe(HttpStatusCode.OK);
        using var refused = await Http.SendAsync(ModelCall("codex-cli", task.Token));

        const string message = "Budget reached: $0.0053 of $0.005 for this task";
        refused.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        var error = Json(await refused.Content.ReadAsStringAsync()).GetProperty("error");
        (error.GetProperty("type").GetString(), error.GetProperty("code").GetString()).ShouldBe(("insufficient_quota", "insufficient_quota"));
        error.GetProperty("message").GetString().ShouldBe(message);
        Vendor.Requests.Count.ShouldBe(1);
        await TheTaskEndsFailedWith(task.TaskId, message);
    }

    [Fact]
    public async Task a_users_monthly_budget_counts_all_their_tasks()
    {
        using var admin = await SignedUp("ada@example.com");
        using var bob = await SignedUp("bob@example.com");
        var bobId = await UserId("bob@example.com");
        var set = await admin.PostFormAsync("/settings/budgets", new() { ["userId"] = bobId.ToString(), ["tokens"] = "5000" }, formPage: "/settings/budgets");
        set.StatusCode.ShouldBe(HttpStatusCode.Redirect, await set.Content.ReadAsStringAsync());

        var first = await TaskWithTokenAsync("gemini-cli", userId: bobId);
        var second = await TaskWithTokenAsync("gemini-cli", userId: bobId);
        (await Http.SendAsync(ModelCall("gemini-cli", first.Token, stream: true))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await Http.SendAsync(ModelCall("gemini-cli", second.Token, stream: true))).StatusCode.ShouldBe(HttpStatusCode.OK);
        using var refused = await Http.SendAsync(ModelCall("gemini-cli", first.Token, stream: true));

        const string message = "Budget reached: 6,120 tokens of your monthly budget of 5,000 tokens";
        refused.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        var error = Json(await refused.Content.ReadAsStringAsync()).GetProperty("error");
        (error.GetProperty("code").GetInt32(), error.GetProperty("status").GetString(), error.GetProperty("message").GetString())
            .ShouldBe((429, "RESOURCE_EXHAUSTED", message));
        Vendor.Requests.Count.ShouldBe(2);
        await TheTaskEndsFailedWith(first.TaskId, message);

        var page = await admin.GetHtmlAsync("/settings/budgets");
        page.ShouldContain("bob@example.com");
        page.ShouldContain("6,120 tokens");
    }

    [Fact]
    public async Task only_an_admin_sees_and_sets_monthly_budgets()
    {
        using var admin = await SignedUp("ada@example.com");
        using var bob = await SignedUp("bob@example.com");
        var bobId = await UserId("bob@example.com");

        (await bob.GetAsync("/settings/budgets")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await bob.GetHtmlAsync("/settings/agents")).ShouldNotContain("href=\"/settings/budgets\"");
        (await admin.GetHtmlAsync("/settings/agents")).ShouldContain("href=\"/settings/budgets\"");
        var post = await bob.PostFormAsync("/settings/budgets", new() { ["userId"] = bobId.ToString(), ["tokens"] = "999999999" }, formPage: "/settings/agents");
        post.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        await using (var session = Store.QuerySession())
            (await session.LoadAsync<UserBudget>(bobId)).ShouldBeNull();

        var refused = await admin.PostFormAsync("/settings/budgets", new() { ["userId"] = bobId.ToString(), ["tokens"] = "-5" }, formPage: "/settings/budgets");
        refused.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await refused.Content.ReadAsStringAsync()).ShouldContain("Enter a number of tokens above zero");
        var saved = await admin.PostFormAsync("/settings/budgets", new() { ["userId"] = bobId.ToString(), ["usd"] = "25.50" }, formPage: "/settings/budgets");
        saved.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        await using (var session = Store.QuerySession())
            (await session.LoadAsync<UserBudget>(bobId))!.Monthly.ShouldBe(new TaskBudget(null, 25.50m));
    }
}
