using System.Text.Json;
using Catalyst.Contracts;
using Catalyst.Tasks;
using Catalyst.Tasks.Domain;
using Catalyst.Tasks.Logs;
using Catalyst.Tasks.Logs.Adapters;

namespace Catalyst.Tests.Agents;

/// <summary>
/// Each adapter against what its CLI really printed (Agents/Samples, captured from the real CLIs run against the
/// scripted model server; Aider's is written from its documented output, as it cannot be installed here).
/// </summary>
public sealed class output_adapters_read_the_clis_own_output
{
    private static readonly OutputInterpreter Interpreter = new(
    [
        new ClaudeStreamJsonAdapter(), new CodexJsonAdapter(), new ClineJsonAdapter(), new GeminiStreamJsonAdapter(),
        new QwenStreamJsonAdapter(), new OpenCodeJsonAdapter(), new AiderTextAdapter(),
    ]);

    private static IReadOnlyList<NewLogEntry> Read(string format, string sample)
    {
        var lines = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Agents", "Samples", sample));
        var at = DateTimeOffset.UtcNow;
        return Interpreter.Read(format, lines.Select((l, i) => new OutputLine(at.AddMilliseconds(i), OutputStream.Stdout, l)).ToArray());
    }

    private static JsonElement Meta(NewLogEntry entry) => JsonDocument.Parse(entry.Metadata!).RootElement;

    public static TheoryData<string, string, string> Successes => new()
    {
        { "claude-stream-json", "claude.success.jsonl", "Bash" },
        { "codex-json", "codex.success.jsonl", "shell" },
        { "cline-json", "cline.success.jsonl", "run_commands" },
        { "gemini-stream-json", "gemini.success.jsonl", "run_shell_command" },
        { "qwen-stream-json", "qwen.success.jsonl", "run_shell_command" },
        { "opencode-json", "opencode.success.jsonl", "bash" },
    };

    [Theory]
    [MemberData(nameof(Successes))]
    public void a_successful_run_reads_as_tool_call_tool_result_message_and_usage_in_that_order(string format, string sample, string tool)
    {
        var entries = Read(format, sample);

        var call = entries.Single(e => e.Kind == TaskLogKinds.ToolCall);
        call.Message.ShouldStartWith($"{tool}: ");
        call.Message.ShouldContain("git commit -q -m 'Add agent notes'");
        Meta(call).GetProperty("tool").GetString().ShouldBe(tool);

        var result = entries.Single(e => e.Kind == TaskLogKinds.ToolResult);
        result.Message.ShouldBe("committed");
        result.Level.ShouldBe(TaskLogLevel.Info);

        var message = entries.Last(e => e.Kind == TaskLogKinds.AgentMessage && e.Level == TaskLogLevel.Info);
        message.Message.ShouldBe("I wrote AGENT_NOTES.md and committed it.");

        var usage = entries.Where(e => e.Kind == TaskLogKinds.Usage).ToList();
        usage.ShouldNotBeEmpty();
        var reported = Reported(entries);
        reported.Sum(u => u.Input).ShouldBe(2400);
        reported.Sum(u => u.Output).ShouldBe(170);

        entries.ToList().IndexOf(call).ShouldBeLessThan(entries.ToList().IndexOf(result));
        entries.ToList().IndexOf(result).ShouldBeLessThan(entries.ToList().IndexOf(message));
        entries.ShouldNotContain(e => e.Level == TaskLogLevel.Error);
        entries.ShouldNotContain(e => e.Kind == TaskLogKinds.Stdout, "every line of a known CLI is understood");
    }

    [Fact]
    public void claude_codes_usage_carries_its_cost()
    {
        var usage = Read("claude-stream-json", "claude.success.jsonl").Single(e => e.Kind == TaskLogKinds.Usage);
        usage.Message.ShouldBe("Tokens: 2,400 in, 170 out, $0.00975");
        Meta(usage).GetProperty("cost_usd").GetDecimal().ShouldBe(0.00975m);
        Meta(usage).GetProperty("num_turns").GetInt64().ShouldBe(2);
    }

    public static TheoryData<string, string, string> Failures => new()
    {
        { "claude-stream-json", "claude.unauthorized.jsonl", "Invalid API key" },
        { "claude-stream-json", "claude.ratelimited.jsonl", "Number of request tokens has exceeded your per-minute rate limit" },
        { "claude-stream-json", "claude.servererror.jsonl", "API Error: 500 Internal server error" },
        { "codex-json", "codex.unauthorized.jsonl", "401 Unauthorized: Incorrect API key provided" },
        { "codex-json", "codex.ratelimited.jsonl", "429 Too Many Requests" },
        { "codex-json", "codex.servererror.jsonl", "experiencing high demand" },
        { "cline-json", "cline.unauthorized.jsonl", "Incorrect API key provided" },
        { "gemini-stream-json", "gemini.unauthorized.jsonl", "API key not valid" },
        { "qwen-stream-json", "qwen.unauthorized.jsonl", "401 Incorrect API key provided" },
        { "opencode-json", "opencode.unauthorized.jsonl", "invalid x-api-key" },
        { "aider-text", "aider.unauthorized.txt", "AuthenticationError" },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void a_failed_run_reads_as_an_error_with_the_vendors_message(string format, string sample, string said)
    {
        var entries = Read(format, sample);
        entries.Where(e => e.Level == TaskLogLevel.Error).ShouldContain(e => e.Message.Contains(said), string.Join("\n", entries.Select(e => $"{e.Level} {e.Kind} {e.Message}")));
        entries.ShouldNotContain(e => e.Kind == TaskLogKinds.ToolCall);
        Reported(entries).ShouldBeEmpty();
    }

    [Fact]
    public void aiders_text_reads_as_banner_answer_usage_and_file_change()
    {
        var entries = Read("aider-text", "aider.success.txt");
        entries.First().ShouldBe(entries.First() with { Level = TaskLogLevel.Debug, Kind = TaskLogKinds.System, Message = "Aider v0.86.2" });
        entries.ShouldContain(e => e.Kind == TaskLogKinds.AgentMessage && e.Message == "I'll create the notes file.");
        var usage = entries.Single(e => e.Kind == TaskLogKinds.Usage);
        Reported([usage]).Single().ShouldBe((2400L, 85L, 0.0081m));
        var change = entries.Single(e => e.Kind == TaskLogKinds.FileChange);
        change.Message.ShouldBe("Edit AGENT_NOTES.md");
        Meta(change).GetProperty("path").GetString().ShouldBe("AGENT_NOTES.md");
    }

    [Theory]
    [InlineData("claude-stream-json", """{"type":"assistant","message":{"content":[{"type":"tool_use","id":"t1","name":"Write","input":{"file_path":"/w/repo/src/app.ts","content":"x"}}]}}""", "Write /w/repo/src/app.ts")]
    [InlineData("codex-json", """{"type":"item.completed","item":{"id":"item_3","type":"file_change","changes":[{"path":"src/app.ts","kind":"add"}],"status":"completed"}}""", "Add src/app.ts")]
    [InlineData("gemini-stream-json", """{"type":"tool_use","tool_name":"write_file","tool_id":"w1","parameters":{"file_path":"src/app.ts","content":"x"}}""", "Write src/app.ts")]
    [InlineData("opencode-json", """{"type":"tool_use","part":{"tool":"edit","callID":"c1","state":{"status":"completed","input":{"filePath":"/w/src/app.ts"},"output":""}}}""", "Edit /w/src/app.ts")]
    public void file_writing_tools_read_as_file_changes(string format, string line, string change)
    {
        var entries = Interpreter.Read(format, [new OutputLine(DateTimeOffset.UtcNow, OutputStream.Stdout, line)]);
        entries.ShouldContain(e => e.Kind == TaskLogKinds.FileChange && e.Message == change);
    }

    [Theory]
    [InlineData("claude-stream-json")]
    [InlineData("codex-json")]
    [InlineData("cline-json")]
    [InlineData("gemini-stream-json")]
    [InlineData("qwen-stream-json")]
    [InlineData("opencode-json")]
    public void lines_an_adapter_does_not_know_pass_through_as_plain_text(string format)
    {
        var at = DateTimeOffset.UtcNow;
        var entries = Interpreter.Read(format,
        [
            new OutputLine(at, OutputStream.Stdout, "npm warn deprecated something"),
            new OutputLine(at, OutputStream.Stdout, """{"type":"brand_new_event","x":1}"""),
            new OutputLine(at, OutputStream.Stdout, "{ not json"),
            new OutputLine(at, OutputStream.Stderr, """{"type":"result","is_error":true}"""),
            new OutputLine(at, OutputStream.System, "agent started: claude"),
        ]);
        entries.Select(e => (e.Kind, e.Message)).ShouldBe(
        [
            (TaskLogKinds.Stdout, "npm warn deprecated something"),
            (TaskLogKinds.Stdout, """{"type":"brand_new_event","x":1}"""),
            (TaskLogKinds.Stdout, "{ not json"),
            (TaskLogKinds.Stderr, """{"type":"result","is_error":true}"""),
            (TaskLogKinds.System, "agent started: claude"),
        ]);
    }

    [Fact]
    public void a_very_long_tool_output_is_kept_whole_up_to_the_limit_and_cut_in_the_middle_beyond()
    {
        var output = string.Join("\n", Enumerable.Range(1, 5000).Select(i => $"output line {i}"));
        var line = JsonSerializer.Serialize(new { type = "item.completed", item = new { id = "item_0", type = "command_execution", command = "seq", aggregated_output = output, exit_code = 0, status = "completed" } });
        var entry = Interpreter.Read("codex-json", [new OutputLine(DateTimeOffset.UtcNow, OutputStream.Stdout, line)]).Single(e => e.Kind == TaskLogKinds.ToolResult);
        entry.Message.ShouldBe(output);

        var huge = new string('x', JsonLinesOutputAdapter.MaxMessageLength * 2);
        var clipped = JsonLinesOutputAdapter.Clip(huge);
        clipped.Length.ShouldBeLessThan(JsonLinesOutputAdapter.MaxMessageLength + 100);
        clipped.ShouldContain("characters left out");
    }

    [Fact]
    public void the_agents_own_error_is_the_failed_tasks_message()
    {
        var task = new AgentTask { Id = Guid.NewGuid(), TimeoutSeconds = 60 };
        var exit = new WorkspaceExited(task.Id, WorkspaceEnd.Failed, 1, "Reading additional input from stdin...", null, DateTimeOffset.UtcNow);
        WorkspaceLifecycleHandler.Outcome(task, exit, "unexpected status 401 Unauthorized: Incorrect API key provided.")
            .ShouldBe((AgentTaskStatus.Failed, "The agent exited with code 1: unexpected status 401 Unauthorized: Incorrect API key provided."));
        WorkspaceLifecycleHandler.Outcome(task, exit).ShouldBe((AgentTaskStatus.Failed, "The agent exited with code 1: Reading additional input from stdin..."));
    }

    /// <summary>The usage the CLI printed, as its log lines carry it (shown in the log; the task's totals come from the broker).</summary>
    private static List<(long Input, long Output, decimal? Cost)> Reported(IEnumerable<NewLogEntry> entries) => entries
        .Where(e => e.Kind == TaskLogKinds.Usage && UsageMetadata.TryRead(e.Metadata, out _, out _, out _))
        .Select(e => { UsageMetadata.TryRead(e.Metadata, out var i, out var o, out var c); return (i, o, c); })
        .ToList();
}
