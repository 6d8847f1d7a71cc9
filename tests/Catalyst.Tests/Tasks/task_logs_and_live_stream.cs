using System.Net;
using System.Net.ServerSentEvents;
using Catalyst.Tasks.Domain;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Workspaces;
using Microsoft.Extensions.DependencyInjection;

namespace Catalyst.Tests.Tasks;

public sealed class task_logs_and_live_stream(AppFixture fixture) : IntegrationContext(fixture), IDisposable
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();

    public void Dispose() => _sandbox.Dispose();

    private async Task<List<SseItem<string>>> ReadEvents(PageClient client, string url, string? lastEventId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (lastEventId is not null) request.Headers.Add("Last-Event-ID", lastEventId);
        using var response = await client.SendAsync(request);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        var items = new List<SseItem<string>>();
        await foreach (var item in SseParser.Create(await response.Content.ReadAsStreamAsync()).EnumerateAsync()) items.Add(item);
        return items;
    }

    [Fact]
    public async Task tool_calls_and_their_results_are_folded_details_on_the_page_and_in_the_live_stream()
    {
        using var ada = await SignedUp("ada@example.com");
        await ada.CreateProjectAsync("folds", _sandbox.Origin);
        var taskId = await Store.RecordAsync(await Store.ProjectAsync("folds"), await UserId("ada@example.com"), new TaskHistory.Past("Run the tests", DateTimeOffset.UtcNow.AddMinutes(-3)));
        var at = new DateTimeOffset(2026, 11, 30, 9, 15, 7, TimeSpan.Zero);
        await Host.Services.GetRequiredService<Catalyst.Tasks.Logs.TaskLogWriter>().WriteAsync(taskId,
        [
            new(at, Catalyst.Tasks.Logs.TaskLogLevel.Info, Catalyst.Tasks.Logs.TaskLogKinds.AgentMessage, "Running the tests."),
            new(at, Catalyst.Tasks.Logs.TaskLogLevel.Info, Catalyst.Tasks.Logs.TaskLogKinds.ToolCall, "Bash: npm test"),
            new(at, Catalyst.Tasks.Logs.TaskLogLevel.Info, Catalyst.Tasks.Logs.TaskLogKinds.ToolResult, "PASS <app> & more"),
        ], CancellationToken.None);

        var call = "<details class=\"logline info kind-tool_call foldable\" data-seq=\"2\"><summary title=\"Open or fold this tool call\"><span class=\"seq\">2</span>" +
                   "<time class=\"ts\" datetime=\"2026-11-30T09:15:07.0000000+00:00\" title=\"2026-11-30 09:15:07 UTC\">09:15:07</time><span class=\"msg\">Bash: npm test</span></summary></details>";
        var page = await ada.GetHtmlAsync($"/projects/folds/agents/{taskId}");
        page.ShouldContain(call);
        page.ShouldContain("<summary title=\"Open or fold this tool result\">");
        page.ShouldContain("<span class=\"msg\">PASS &lt;app&gt; &amp; more</span></summary></details>");
        page.ShouldContain("<div class=\"logline info kind-agent_message\" data-seq=\"1\">");
        page.ShouldNotContain("foldable\" data-seq=\"2\" open");

        var events = await ReadEvents(ada, $"/projects/folds/agents/{taskId}/events");
        events.Where(e => e.EventType == "log").Select(e => e.Data).ShouldContain(call);
    }

    [Fact]
    public async Task an_agent_that_prints_its_key_leaves_it_in_no_log_event_or_page()
    {
        using var ada = await SignedUp("ada@example.com");
        await ada.CreateProjectAsync("leaky", _sandbox.Origin);
        var credential = await ada.AddScriptCredentialAsync(Store);
        var taskId = await ada.StartTaskAsync("leaky", credential, $$"""
            echo "my key is ${{ScriptAgent.KeyVariable}}"
            echo "again: ${{ScriptAgent.KeyVariable}}" >&2
            env
            exit 1
            """);
        var task = await Store.WaitUntilFinishedAsync(taskId);

        var logs = await Host.Services.LogsAsync(taskId);
        logs.ShouldContain(l => l.Message == "my key is [REDACTED]");
        logs.ShouldAllBe(l => !l.Message.Contains(TaskSteps.Key));
        (task.Error ?? "").ShouldNotContain(TaskSteps.Key);

        var events = await ReadEvents(ada, $"/projects/leaky/agents/{taskId}/events?format=json");
        events.ShouldContain(e => e.Data.Contains("[REDACTED]"));
        events.ShouldAllBe(e => !e.Data.Contains(TaskSteps.Key));
        (await ada.GetHtmlAsync($"/projects/leaky/agents/{taskId}")).ShouldNotContain(TaskSteps.Key);
        (await (await ada.GetAsync($"/projects/leaky/agents/{taskId}?handler=Download")).Content.ReadAsStringAsync()).ShouldNotContain(TaskSteps.Key);
        Fixture.Logs.Lines.ShouldAllBe(l => !l.Contains(TaskSteps.Key));
    }

    [Fact]
    public async Task the_stream_sends_the_backlog_then_resumes_from_last_event_id_without_gap_or_duplicate()
    {
        using var ada = await SignedUp("ada@example.com");
        await ada.CreateProjectAsync("stream", _sandbox.Origin);
        var credential = await ada.AddScriptCredentialAsync(Store);
        var taskId = await ada.StartTaskAsync("stream", credential, "for i in $(seq 1 300); do echo \"line $i\"; done");
        (await Store.WaitUntilFinishedAsync(taskId)).Status.ShouldBe(AgentTaskStatus.Completed);
        var url = $"/projects/stream/agents/{taskId}/events?format=json";

        var all = await ReadEvents(ada, url);
        var logIds = all.Where(e => e.EventType == "log").Select(e => long.Parse(e.EventId!)).ToList();
        logIds.ShouldBe(Enumerable.Range(1, logIds.Count).Select(i => (long)i));
        logIds.Count.ShouldBeGreaterThan(300);
        all.Last().EventType.ShouldBe("ended");
        all.Last().Data.ShouldContain("completed");

        var resumed = await ReadEvents(ada, url, lastEventId: "150");
        var resumedIds = resumed.Where(e => e.EventType == "log").Select(e => long.Parse(e.EventId!)).ToList();
        resumedIds.First().ShouldBe(151);
        resumedIds.ShouldBe(logIds.Where(id => id > 150));
        resumed.Last().EventType.ShouldBe("ended");
    }

    [Fact]
    public async Task a_live_watcher_gets_every_line_in_order_while_the_task_runs()
    {
        using var ada = await SignedUp("ada@example.com");
        await ada.CreateProjectAsync("live", _sandbox.Origin);
        var credential = await ada.AddScriptCredentialAsync(Store);
        var taskId = await ada.StartTaskAsync("live", credential, "sleep 2; for i in $(seq 1 2000); do echo \"tick $i\"; done; sleep 1");
        var events = await ReadEvents(ada, $"/projects/live/agents/{taskId}/events?format=json");
        var ticks = events.Where(e => e.EventType == "log" && e.Data.Contains("tick ")).ToList();
        ticks.Count.ShouldBe(2000);
        var ids = events.Where(e => e.EventType == "log").Select(e => long.Parse(e.EventId!)).ToList();
        ids.ShouldBe(ids.Order().Distinct());
        events.Where(e => e.EventType == "status").Select(e => e.Data).ShouldContain(d => d.Contains("running"));
        events.Last().EventType.ShouldBe("ended");
    }

    [Fact]
    public async Task another_user_cannot_see_cancel_retry_or_stream_a_task()
    {
        using var ada = await SignedUp("ada@example.com");
        await ada.CreateProjectAsync("private", _sandbox.Origin);
        var credential = await ada.AddScriptCredentialAsync(Store);
        var taskId = await ada.StartTaskAsync("private", credential, "sleep 30");
        await Store.WaitForAsync(taskId, t => t.Status == AgentTaskStatus.Running);

        using var bob = await SignedUp("bob@example.com");
        await bob.CreateProjectAsync("bobs", _sandbox.Origin);
        (await bob.GetAsync($"/projects/private/agents/{taskId}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await bob.GetAsync($"/projects/private/agents/{taskId}/events")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await bob.GetAsync($"/projects/bobs/agents/{taskId}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await bob.GetAsync($"/projects/bobs/agents/{taskId}/events")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await bob.GetAsync("/projects/private/agents")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await bob.PostFormAsync($"/projects/bobs/agents/{taskId}?handler=Cancel", new(), formPage: "/projects/bobs")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await bob.PostFormAsync($"/projects/bobs/agents/{taskId}?handler=Retry", new(), formPage: "/projects/bobs")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        await using (var session = Store.QuerySession())
            (await session.LoadAsync<AgentTask>(taskId))!.CancelRequested.ShouldBeFalse();

        (await ada.PostFormAsync($"/projects/private/agents/{taskId}?handler=Cancel", new(), formPage: $"/projects/private/agents/{taskId}"))
            .StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await Store.WaitUntilFinishedAsync(taskId)).Status.ShouldBe(AgentTaskStatus.Cancelled);
    }
}
