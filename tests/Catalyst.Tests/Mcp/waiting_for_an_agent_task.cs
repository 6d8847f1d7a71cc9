using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Catalyst.Tests.Infrastructure;
using ModelContextProtocol;

namespace Catalyst.Tests.Mcp;

/// <summary>
/// wait_for_agent_task: an agent follows a task in a few calls, each blocking until the status changes or lines arrive,
/// with progress notifications while it waits. Driven by the official C# client and the official TypeScript SDK.
/// </summary>
public sealed class waiting_for_an_agent_task(BrowserFixture fixture) : McpContext(fixture)
{
    // Quiet for a few seconds at a time, so that a wait has to wait (and report progress) before each line comes.
    private const string Script = """
        sleep 3
        echo "first line"
        sleep 3
        echo "second line"
        """;

    private sealed class Collected : IProgress<ProgressNotificationValue>
    {
        public ConcurrentQueue<ProgressNotificationValue> Values { get; } = new();
        public void Report(ProgressNotificationValue value) => Values.Enqueue(value);
    }

    [Fact]
    public async Task the_csharp_client_follows_a_task_to_its_end_in_a_few_waits_with_progress_while_it_waits()
    {
        var ada = await SignedUpWithToken("ada");
        await using var client = await Connect(ada);
        await AddCredential(ada);
        var project = await NewRepositoryProject(client);
        var taskId = await StartTask(client, project, Script);

        var progress = new Collected();
        var messages = new List<string>();
        var statuses = new List<string>();
        long after = 0;
        string? status = null;
        var calls = 0;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            calls.ShouldBeLessThan(30, $"too many waits; seen so far: {string.Join(" | ", messages)}");
            calls++;
            var arguments = new Dictionary<string, object?> { ["task_id"] = taskId.ToString(), ["after_sequence"] = after, ["timeout_seconds"] = 20 };
            if (status is not null) arguments["status"] = status;
            var result = await client.CallToolAsync("wait_for_agent_task", arguments, progress, cancellationToken: TestContext.Current.CancellationToken);
            (result.IsError ?? false).ShouldBeFalse(Text(result));
            var answer = result.StructuredContent!.Value;
            var lines = answer.GetProperty("lines").EnumerateArray().ToList();
            messages.AddRange(lines.Select(l => l.GetProperty("message").GetString()!));
            if (lines.Count > 0) lines[^1].GetProperty("sequence").GetInt64().ShouldBe(answer.GetProperty("last_sequence").GetInt64());
            after = answer.GetProperty("last_sequence").GetInt64();
            status = answer.GetProperty("status").GetString();
            statuses.Add(status!);
            // A wait that ended by itself says so; one that ended early has news.
            if (answer.GetProperty("timed_out").GetBoolean()) lines.ShouldBeEmpty();
            else (lines.Count > 0 || answer.GetProperty("status_changed").GetBoolean() || answer.GetProperty("task_finished").GetBoolean()).ShouldBeTrue();
            if (answer.GetProperty("task_finished").GetBoolean() && lines.Count == 0) break;
        }

        messages.ShouldContain("first line");
        messages.IndexOf("first line").ShouldBeLessThan(messages.IndexOf("second line"));
        statuses[^1].ShouldBe("completed");
        // A few waits, not a poll per second: the script is quiet for 6 s in all.
        calls.ShouldBeLessThan(20);
        clock.Elapsed.ShouldBeGreaterThan(TimeSpan.FromSeconds(5));
        progress.Values.ShouldNotBeEmpty("no progress notification arrived while a wait waited");
        progress.Values.ShouldAllBe(p => p.Message != null && p.Message.StartsWith("Waiting"));
    }

    [Fact]
    public async Task a_wait_ends_at_its_timeout_without_news_and_at_once_for_an_ended_task()
    {
        var ada = await SignedUpWithToken("ada");
        await using var client = await Connect(ada);
        await AddCredential(ada);
        var project = await NewRepositoryProject(client);
        var taskId = await StartTask(client, project, "sleep 20");
        var running = await WaitForStatus(client, taskId, "running");

        var clock = Stopwatch.StartNew();
        var quiet = await Call(client, "wait_for_agent_task", new()
        {
            ["task_id"] = taskId.ToString(), ["status"] = "running", ["after_sequence"] = 1_000_000, ["timeout_seconds"] = 2,
        });
        clock.Elapsed.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(1.8));
        quiet.GetProperty("timed_out").GetBoolean().ShouldBeTrue();
        quiet.GetProperty("status").GetString().ShouldBe("running");
        // Asked from beyond the end, the answer carries the real end so that no line is skipped later.
        quiet.GetProperty("last_sequence").GetInt64().ShouldBeLessThan(1_000_000);

        await Call(client, "cancel_agent_task", new() { ["task_id"] = taskId.ToString() });
        await WaitForStatus(client, taskId, "cancelled");
        clock.Restart();
        var ended = await Call(client, "wait_for_agent_task", new() { ["task_id"] = taskId.ToString(), ["status"] = "cancelled", ["after_sequence"] = 1_000_000 });
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(5));
        ended.GetProperty("task_finished").GetBoolean().ShouldBeTrue();
        running.GetProperty("status").GetString().ShouldBe("running");

        (await CallFails(client, "wait_for_agent_task", new() { ["task_id"] = taskId.ToString(), ["timeout_seconds"] = 61 }))
            .ShouldBe("Invalid arguments for wait_for_agent_task: “timeout_seconds” must be between 1 and 60; 61 is not.");
    }

    [Fact]
    public async Task the_typescript_sdk_follows_a_task_with_progress_notifications()
    {
        var sdk = InstallTypeScriptSdk();
        var ada = await SignedUpWithToken("ada");
        await using var client = await Connect(ada);
        await AddCredential(ada);
        var project = await NewRepositoryProject(client);
        var taskId = await StartTask(client, project, Script);

        var script = Path.Combine(sdk, $"follow-{Guid.NewGuid():N}.mjs");
        await File.WriteAllTextAsync(script, FollowScript, TestContext.Current.CancellationToken);
        try
        {
            var start = new ProcessStartInfo("node", [script, McpEndpoint.ToString(), ada.Token, taskId.ToString()])
            {
                RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = sdk,
            };
            using var node = Process.Start(start)!;
            var output = node.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            var errors = node.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            await node.WaitForExitAsync(timeout.Token);
            node.ExitCode.ShouldBe(0, await errors);

            using var summary = JsonDocument.Parse(await output);
            var root = summary.RootElement;
            root.GetProperty("instructions").GetString()!.ShouldContain("wait_for_agent_task");
            root.GetProperty("status").GetString().ShouldBe("completed");
            var messages = root.GetProperty("messages").EnumerateArray().Select(m => m.GetString()).ToList();
            messages.ShouldContain("first line");
            messages.ShouldContain("second line");
            root.GetProperty("progress").GetInt32().ShouldBeGreaterThan(0);
            root.GetProperty("calls").GetInt32().ShouldBeLessThan(20);
            // The text content is the same JSON as the structured content, unescaped.
            root.GetProperty("text_matches").GetBoolean().ShouldBeTrue();
        }
        finally
        {
            File.Delete(script);
        }
    }

    /// <summary>The SDK from npm, in the cache outside the repository (scripts/install-mcp-sdk.sh; idempotent).</summary>
    private static string InstallTypeScriptSdk()
    {
        var installer = Path.Combine(RepositoryRoot(), "scripts", "install-mcp-sdk.sh");
        using var process = Process.Start(new ProcessStartInfo(installer) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var directory = process.StandardOutput.ReadToEnd().Trim();
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        process.ExitCode.ShouldBe(0, $"the MCP TypeScript SDK could not be installed: {errors}");
        return directory;
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Catalyst.sln"))) directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("Catalyst.sln not found above the test binaries.");
    }

    private const string FollowScript = """
        import { Client } from "@modelcontextprotocol/sdk/client/index.js";
        import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

        const [url, token, taskId] = process.argv.slice(2);
        const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
        const client = new Client({ name: "catalyst-ts-test", version: "1.0.0" });
        await client.connect(transport);

        let after = 0, status = undefined, progress = 0, calls = 0, textMatches = true;
        const messages = [];
        for (;;) {
          if (++calls > 30) throw new Error("too many waits");
          const args = { task_id: taskId, after_sequence: after, timeout_seconds: 20 };
          if (status) args.status = status;
          const result = await client.callTool({ name: "wait_for_agent_task", arguments: args }, undefined,
            { onprogress: () => { progress++; }, timeout: 60000, resetTimeoutOnProgress: true });
          if (result.isError) throw new Error(JSON.stringify(result.content));
          const answer = result.structuredContent;
          textMatches &&= JSON.stringify(JSON.parse(result.content[0].text)) === JSON.stringify(answer) && !result.content[0].text.includes("\\u00");
          for (const line of answer.lines) messages.push(line.message);
          after = answer.last_sequence;
          status = answer.status;
          if (answer.task_finished && answer.lines.length === 0) break;
        }
        console.log(JSON.stringify({ instructions: client.getInstructions(), status, messages, progress, calls, text_matches: textMatches }));
        await client.close();
        """;
}
