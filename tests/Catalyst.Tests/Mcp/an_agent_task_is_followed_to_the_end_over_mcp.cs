using Catalyst.Tests.Infrastructure;

namespace Catalyst.Tests.Mcp;

public sealed class an_agent_task_is_followed_to_the_end_over_mcp(BrowserFixture fixture) : McpContext(fixture)
{
    private const string Script = """
        echo "reading the README"
        for i in $(seq 1 12); do echo "step $i"; done
        echo "something looks odd" >&2
        echo "agent change" >> README.md
        git commit --quiet -am "Agent change"
        echo "finished"
        """;

    [Fact]
    public async Task create_a_task_and_page_its_log_with_after_sequence_until_it_completes()
    {
        var ada = await SignedUpWithToken("ada");
        await using var client = await Connect(ada);
        var (credentialId, key) = await AddCredential(ada);
        var project = await NewRepositoryProject(client);

        // The provider lists the caller's credential by label and masked key, never the key.
        var provider = await Call(client, "get_agent_provider", new() { ["name"] = ScriptAgent.Name });
        var mine = provider.GetProperty("your_credentials").EnumerateArray().ShouldHaveSingleItem();
        mine.GetProperty("id").GetGuid().ShouldBe(credentialId);
        mine.GetProperty("label").GetString().ShouldBe("work");
        mine.GetProperty("masked_key").GetString().ShouldNotBe(key);
        var providers = await Call(client, "list_agent_providers");
        providers.GetProperty("providers").EnumerateArray().Select(p => p.GetProperty("name").GetString()).ShouldContain(ScriptAgent.Name);
        providers.GetRawText().ShouldNotContain(key);

        var taskId = await StartTask(client, project, Script);

        // Follow the log the way an agent would: small pages, each after the last sequence seen.
        var seen = new List<(long Sequence, string Level, string Message)>();
        long after = 0;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var page = await Call(client, "get_agent_task_logs", new() { ["task_id"] = taskId.ToString(), ["after_sequence"] = after, ["limit"] = 4 });
            var lines = page.GetProperty("lines").EnumerateArray()
                .Select(l => (l.GetProperty("sequence").GetInt64(), l.GetProperty("level").GetString()!, l.GetProperty("message").GetString()!)).ToList();
            lines.Count.ShouldBeLessThanOrEqualTo(4);
            seen.AddRange(lines);
            after = page.GetProperty("last_sequence").GetInt64();
            if (page.GetProperty("task_finished").GetBoolean() && lines.Count == 0) break;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"The task did not finish; the log so far: {string.Join(" | ", seen.Select(l => l.Message))}");
            if (lines.Count == 0) await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        // Gap-free, in order, nothing twice, and the agent's own words in it.
        seen.Select(l => l.Sequence).ShouldBe(Enumerable.Range(1, seen.Count).Select(i => (long)i));
        var messages = seen.Select(l => l.Message).ToList();
        messages.ShouldContain("reading the README");
        messages.IndexOf("step 1").ShouldBeLessThan(messages.IndexOf("step 12"));
        messages.ShouldContain("finished");
        messages.ShouldNotContain(m => m.Contains(key));

        var task = await GetTask(client, taskId);
        task.GetProperty("status").GetString().ShouldBe("completed", task.GetProperty("error").ToString());
        task.GetProperty("is_finished").GetBoolean().ShouldBeTrue();
        task.GetProperty("credential_label").GetString().ShouldBe("work");
        var commit = task.GetProperty("commits").EnumerateArray().ShouldHaveSingleItem();
        commit.GetProperty("message").GetString().ShouldBe("Agent change");
        Sandbox.OriginBranch(task.GetProperty("work_branch").GetString()!).ShouldBe(commit.GetProperty("sha").GetString());

        var listed = await Call(client, "list_agent_tasks", new() { ["project"] = project, ["status"] = "completed" });
        listed.GetProperty("tasks").EnumerateArray().Select(t => t.GetProperty("id").GetGuid()).ShouldBe([taskId]);
        listed.GetProperty("counts_by_status").GetProperty("completed").GetInt32().ShouldBe(1);
    }

    [Fact]
    public async Task the_log_filters_by_level_and_time()
    {
        var ada = await SignedUpWithToken("ada");
        await using var client = await Connect(ada);
        await AddCredential(ada);
        var project = await NewRepositoryProject(client);
        var taskId = await StartTask(client, project, Script);
        var ended = await WaitForStatus(client, taskId, "completed", "failed");
        ended.GetProperty("status").GetString().ShouldBe("completed", ended.GetProperty("error").ToString());

        var all = (await Call(client, "get_agent_task_logs", new() { ["task_id"] = taskId.ToString(), ["limit"] = 1000 }))
            .GetProperty("lines").EnumerateArray().ToList();
        var warnings = (await Call(client, "get_agent_task_logs", new() { ["task_id"] = taskId.ToString(), ["level"] = "warn" }))
            .GetProperty("lines").EnumerateArray().ToList();
        warnings.ShouldNotBeEmpty();
        warnings.ShouldAllBe(l => l.GetProperty("level").GetString() == "warn" || l.GetProperty("level").GetString() == "error");
        warnings.Count.ShouldBeLessThan(all.Count);
        warnings.Select(l => l.GetProperty("message").GetString()).ShouldContain(m => m!.Contains("something looks odd"));

        var middle = all[all.Count / 2].GetProperty("timestamp").GetDateTimeOffset();
        var since = (await Call(client, "get_agent_task_logs", new() { ["task_id"] = taskId.ToString(), ["since"] = middle.ToString("O"), ["limit"] = 1000 }))
            .GetProperty("lines").EnumerateArray().ToList();
        since.ShouldNotBeEmpty();
        since.ShouldAllBe(l => l.GetProperty("timestamp").GetDateTimeOffset() >= middle);
        var until = (await Call(client, "get_agent_task_logs", new() { ["task_id"] = taskId.ToString(), ["until"] = middle.ToString("O"), ["limit"] = 1000 }))
            .GetProperty("lines").EnumerateArray().ToList();
        until.ShouldAllBe(l => l.GetProperty("timestamp").GetDateTimeOffset() <= middle);
        (since.Count + until.Count).ShouldBeGreaterThanOrEqualTo(all.Count);

        (await CallFails(client, "get_agent_task_logs", new() { ["task_id"] = taskId.ToString(), ["level"] = "loud" }))
            .ShouldBe("Invalid arguments for get_agent_task_logs: “level” must be one of debug, info, warn, error; “loud” is not.");
        (await CallFails(client, "get_agent_task_logs", new() { ["task_id"] = taskId.ToString(), ["since"] = "yesterday" }))
            .ShouldBe("Invalid arguments for get_agent_task_logs: “since” is not a time: use ISO 8601, such as 2026-11-25T10:00:00Z.");
        (await CallFails(client, "get_agent_task_logs", new() { ["task_id"] = taskId.ToString(), ["limit"] = 5000 }))
            .ShouldBe("Invalid arguments for get_agent_task_logs: “limit” must be between 1 and 1,000; 5000 is not.");
        (await CallFails(client, "get_agent_task_logs", new()
        {
            ["task_id"] = taskId.ToString(), ["since"] = "2026-11-25T10:00:00Z", ["until"] = "2026-11-25T09:00:00Z",
        })).ShouldBe("“until” is before “since”.");
    }
}
