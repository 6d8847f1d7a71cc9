using Catalyst.Tasks.Domain;
using Catalyst.Tasks.Logs;
using Catalyst.Tests.Infrastructure;
using Scenario = Catalyst.Tests.Infrastructure.ScriptedModelServer.Scenario;

namespace Catalyst.Tests.Agents;

/// <summary>
/// Tasks run by the real agent CLIs (and the Aider stand-in) through the whole of Catalyst: the form, the queue, the
/// local workspace backend, the runner, the provider's command line, the adapter, the task's history.
/// </summary>
public sealed class real_agent_clis_run_tasks(AgentsHostFixture fixture) : AgentTaskContext(fixture)
{
    /// <summary>The model endpoints each provider's agent may call; anything else (telemetry, updates) would show here.</summary>
    private static readonly Dictionary<string, (string Path, string KeyHeader)> Wire = new()
    {
        ["claude-code"] = ("/v1/messages", "x-api-key"),
        ["codex-cli"] = ("/v1/responses", "authorization"),
        ["cline"] = ("/v1/chat/completions", "authorization"),
        ["aider"] = ("/v1/chat/completions", "authorization"),
        ["gemini-cli"] = ("/v1beta/models/gemini-2.5-pro:streamGenerateContent", "x-goog-api-key"),
        ["qwen-code"] = ("/v1/chat/completions", "authorization"),
        ["opencode"] = ("/v1/messages", "x-api-key"),
    };

    /// <summary>Instructions as people write them, as a list: a CLI that read the leading dash as an option would fail.</summary>
    private const string ListedInstructions = "- Write AGENT_NOTES.md with a line of notes\n- Commit it";

    [Theory]
    [InlineData("claude-code", "claude", "Bash")]
    [InlineData("codex-cli", "codex", "shell")]
    [InlineData("cline", "cline", "run_commands")]
    [InlineData("gemini-cli", "gemini", "run_shell_command")]
    [InlineData("qwen-code", "qwen", "run_shell_command")]
    [InlineData("opencode", "opencode", "bash")]
    public async Task a_task_with_the_real_cli_completes_with_its_commit_tool_calls_and_token_usage(string provider, string program, string tool)
    {
        AgentClis.Require(program);
        await using var model = await Fixture.ModelAsync();
        var taskId = await StartAsync(provider, model, instructions: ListedInstructions);

        var task = await FinishedAsync(taskId);
        var logs = await LogsAsync(taskId);
        task.Status.ShouldBe(AgentTaskStatus.Completed, $"{task.Error}\n{Describe(logs)}");
        task.Commits.ShouldHaveSingleItem().Message.ShouldBe("Add agent notes");
        Sandbox.OriginBranch(task.WorkBranch).ShouldBe(task.Commits[0].Sha);

        logs.Select(l => l.Sequence).ShouldBe(Enumerable.Range(1, logs.Count).Select(i => (long)i));
        var call = logs.Single(l => l.Kind == TaskLogKinds.ToolCall);
        call.Message.ShouldStartWith($"{tool}: ");
        call.Message.ShouldContain("git commit -q -m 'Add agent notes'");
        var result = logs.Single(l => l.Kind == TaskLogKinds.ToolResult);
        result.Message.ShouldBe("committed");
        var answer = logs.Last(l => l.Kind == TaskLogKinds.AgentMessage);
        answer.Message.ShouldBe(model.FinalText);
        call.Sequence.ShouldBeLessThan(result.Sequence);
        result.Sequence.ShouldBeLessThan(answer.Sequence);
        logs.ShouldContain(l => l.Kind == TaskLogKinds.Usage);

        // What the CLI reports is logged; the task's totals are what the broker read from each of the model's answers.
        var reported = logs.Where(l => l.Kind == TaskLogKinds.Usage).Select(l => UsageMetadata.TryRead(l.Metadata, out var i, out var o, out _) ? (i, o) : (0L, 0L)).ToList();
        reported.Sum(u => u.Item1).ShouldBe(2 * ScriptedModelServer.InputTokens);
        reported.Sum(u => u.Item2).ShouldBe(2 * ScriptedModelServer.OutputTokens);
        (task.InputTokens, task.OutputTokens).ShouldBe((model.ModelCalls.Count * (long)ScriptedModelServer.InputTokens, model.ModelCalls.Count * (long)ScriptedModelServer.OutputTokens));

        // The key reached the model only in the vendor's own header; the agent called nothing but the model.
        var (path, header) = Wire[provider];
        model.ModelCalls.ShouldNotBeEmpty();
        model.Requests.ShouldAllBe(r => r.Path == path);
        model.KeysSeen().ShouldAllBe(k => k.Header == header && k.Value == Key);
        logs.ShouldNotContain(l => l.Message.Contains(Key));
        // The instructions reached the model whole, leading dash included.
        model.ModelCalls[0].Body.ShouldContain(ListedInstructions.Replace("\n", "\\n"));
    }

    [Fact]
    public async Task aider_runs_with_its_scripting_flags_and_the_runner_commits_its_edit()
    {
        await using var model = await Fixture.ModelAsync();
        var taskId = await StartAsync("aider", model);

        var task = await FinishedAsync(taskId);
        var logs = await LogsAsync(taskId);
        task.Status.ShouldBe(AgentTaskStatus.Completed, $"{task.Error}\n{Describe(logs)}");
        // --no-auto-commits: Aider leaves its edit, the runner commits it.
        var commit = task.Commits.ShouldHaveSingleItem();
        commit.Message.ShouldBe("Catalyst: uncommitted changes left by the agent");
        Sandbox.Git(Sandbox.Root, "--git-dir", Sandbox.Origin, "show", $"{commit.Sha}:AGENT_NOTES.md").ShouldBe(model.FileContent);

        logs.ShouldContain(l => l.Kind == TaskLogKinds.FileChange && l.Message == "Edit AGENT_NOTES.md");
        logs.ShouldContain(l => l.Kind == TaskLogKinds.AgentMessage && l.Message == "I'll add the notes file.");
        var usage = logs.Single(l => l.Kind == TaskLogKinds.Usage);
        UsageMetadata.TryRead(usage.Metadata, out var input, out var output, out var cost).ShouldBeTrue();
        (input, output).ShouldBe((1200L, 85L));
        cost.ShouldNotBeNull().ShouldBeGreaterThan(0m);
        // The broker's figures, not the CLI's report added on top.
        (task.InputTokens, task.OutputTokens).ShouldBe((model.ModelCalls.Count * (long)ScriptedModelServer.InputTokens, model.ModelCalls.Count * (long)ScriptedModelServer.OutputTokens));
        model.KeysSeen().ShouldAllBe(k => k.Header == "authorization" && k.Value == Key);
    }

    [Theory]
    [InlineData("claude-code", Scenario.Unauthorized, "Invalid API key")]
    [InlineData("claude-code", Scenario.RateLimited, ScriptedModelServer.RateLimitMessage)]
    [InlineData("claude-code", Scenario.ServerError, "API Error: 500 Internal server error")]
    [InlineData("codex-cli", Scenario.Unauthorized, "401 Unauthorized: " + ScriptedModelServer.OpenAiUnauthorizedMessage)]
    [InlineData("codex-cli", Scenario.RateLimited, "429 Too Many Requests")]
    [InlineData("codex-cli", Scenario.ServerError, "high demand")]
    [InlineData("cline", Scenario.Unauthorized, ScriptedModelServer.OpenAiUnauthorizedMessage)]
    [InlineData("aider", Scenario.Unauthorized, ScriptedModelServer.OpenAiUnauthorizedMessage)]
    [InlineData("gemini-cli", Scenario.Unauthorized, ScriptedModelServer.GeminiUnauthorizedMessage)]
    [InlineData("gemini-cli", Scenario.RateLimited, ScriptedModelServer.GeminiRateLimitMessage)]
    [InlineData("gemini-cli", Scenario.ServerError, ScriptedModelServer.GeminiServerErrorMessage)]
    [InlineData("qwen-code", Scenario.Unauthorized, ScriptedModelServer.OpenAiUnauthorizedMessage)]
    [InlineData("opencode", Scenario.Unauthorized, ScriptedModelServer.UnauthorizedMessage)]
    public async Task a_vendor_error_fails_the_task_with_what_the_vendor_said(string provider, Scenario scenario, string said)
    {
        await using var model = await Fixture.ModelAsync(scenario);
        var taskId = await StartAsync(provider, model);

        var task = await FinishedAsync(taskId, 45);
        var logs = await LogsAsync(taskId);
        task.Status.ShouldBe(AgentTaskStatus.Failed, Describe(logs));
        task.Error.ShouldNotBeNull().ShouldContain(said, Case.Insensitive, Describe(logs));
        task.Commits.ShouldBeEmpty();
        logs.ShouldContain(l => l.Level == TaskLogLevel.Error && l.Message.Contains(said, StringComparison.OrdinalIgnoreCase));
        // Retries are off: one call (Cline's first call included), not minutes of backoff.
        model.ModelCalls.Count.ShouldBeLessThanOrEqualTo(2);
    }

    [Fact]
    public async Task a_model_that_never_answers_ends_in_timeout_at_the_projects_limit()
    {
        await using var model = await Fixture.ModelAsync(Scenario.NeverAnswer);
        var taskId = await StartAsync("claude-code", model, timeoutSeconds: 6);

        var task = await FinishedAsync(taskId, 40);
        task.Status.ShouldBe(AgentTaskStatus.TimedOut, Describe(await LogsAsync(taskId)));
        task.Error.ShouldNotBeNull().ShouldContain("6 s");
        model.ModelCalls.ShouldNotBeEmpty();
    }

    [Theory]
    [InlineData("claude-code")]
    [InlineData("codex-cli")]
    public async Task a_very_long_tool_output_leaves_the_log_complete_and_in_order(string provider)
    {
        await using var model = await Fixture.ModelAsync(Scenario.LongToolOutput);
        var taskId = await StartAsync(provider, model);

        var task = await FinishedAsync(taskId);
        var logs = await LogsAsync(taskId);
        task.Status.ShouldBe(AgentTaskStatus.Completed, Describe(logs));
        task.Commits.ShouldHaveSingleItem().Message.ShouldBe("Add agent notes");

        logs.Select(l => l.Sequence).ShouldBe(Enumerable.Range(1, logs.Count).Select(i => (long)i));
        logs.Select(l => l.Timestamp).ShouldBeInOrder(SortDirection.Ascending);
        var result = logs.Single(l => l.Kind == TaskLogKinds.ToolResult);
        result.Message.ShouldContain("output line 1\noutput line 2\n");
        // Codex reports a command's whole output; Claude Code keeps the first 30,000 characters of it (BASH_MAX_OUTPUT_LENGTH).
        if (provider == "codex-cli")
        {
            result.Message.ShouldContain($"output line {model.LongOutputLines}\n");
            result.Message.ShouldEndWith("committed");
        }
        var kinds = logs.Select(l => l.Kind).ToList();
        kinds.IndexOf(TaskLogKinds.ToolCall).ShouldBeLessThan(kinds.IndexOf(TaskLogKinds.ToolResult));
        kinds.LastIndexOf(TaskLogKinds.AgentMessage).ShouldBeGreaterThan(kinds.IndexOf(TaskLogKinds.ToolResult));
        logs[^1].Message.ShouldStartWith("Task completed");
    }
}
