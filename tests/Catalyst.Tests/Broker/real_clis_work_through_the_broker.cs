using System.Text.Json.Nodes;
using Catalyst.Tests.Infrastructure;

namespace Catalyst.Tests.Broker;

/// <summary>
/// The real CLIs, given only a task token and the broker's address, work against a model server that accepts only the
/// real key: the key goes in each vendor's own header, the streamed answers come through, and the task's usage is theirs.
/// </summary>
public sealed class real_clis_work_through_the_broker(AppFixture fixture) : BrokerContext(fixture)
{
    private const string Prompt = "Write AGENT_NOTES.md and commit it.";

    private async Task ItWorked(AgentClis.Run run, ScriptedModelServer model, BrokeredTask task, string header)
    {
        var context = $"exit {run.ExitCode}\nstdout:\n{string.Join('\n', run.Stdout.TakeLast(30))}\nstderr:\n{run.Stderr}";
        run.ExitCode.ShouldBe(0, context);
        run.Log("AGENT_NOTES.md").ShouldBe("Add agent notes", context);
        model.KeysSeen().ShouldNotBeEmpty();
        model.KeysSeen().ShouldAllBe(k => k.Header == header && k.Value == task.Key);
        model.Requests.ShouldAllBe(r => !r.Query.Contains(task.Token) && !r.Headers.Values.Any(v => v.Contains(task.Token)));
        string.Join('\n', run.Stdout).ShouldNotContain(task.Key);
        run.Stderr.ShouldNotContain(task.Key);

        var calls = model.ModelCalls.Count;
        await Eventually(async () => (await TaskAsync(task.TaskId)).OutputTokens == calls * ScriptedModelServer.OutputTokens, "every model call is metered");
        (await TaskAsync(task.TaskId)).InputTokens.ShouldBe(calls * ScriptedModelServer.InputTokens);
    }

    [Fact]
    public async Task claude_code_with_a_task_token()
    {
        var claude = AgentClis.Require("claude");
        await using var model = await ScriptedModelServer.StartAsync();
        var task = await TaskWithTokenAsync("claude-code", baseUrl: model.BaseUrl);
        model.ApiKey = task.Key;
        var run = await AgentClis.RunAsync(AgentClis.NewRepository(),
            [claude, "-p", Prompt, "--output-format", "stream-json", "--verbose", "--dangerously-skip-permissions", "--model", "claude-sonnet-4-5"],
            new Dictionary<string, string>
            {
                ["IS_SANDBOX"] = "1",
                ["ANTHROPIC_BASE_URL"] = BrokerBaseUrl(task.Access),
                ["ANTHROPIC_API_KEY"] = task.Token,
                ["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1",
                ["DISABLE_TELEMETRY"] = "1",
                ["DISABLE_AUTOUPDATER"] = "1",
                ["DISABLE_ERROR_REPORTING"] = "1",
                ["CLAUDE_CODE_MAX_RETRIES"] = "0",
            }, TimeSpan.FromSeconds(90));
        await ItWorked(run, model, task, "x-api-key");
    }

    [Fact]
    public async Task codex_with_a_task_token()
    {
        var codex = AgentClis.Require("codex");
        await using var model = await ScriptedModelServer.StartAsync();
        var task = await TaskWithTokenAsync("codex-cli", baseUrl: model.OpenAiBaseUrl);
        model.ApiKey = task.Key;
        var repo = AgentClis.NewRepository();
        var home = Path.Combine(Path.GetDirectoryName(repo)!, "home");
        Directory.CreateDirectory(Path.Combine(home, ".codex"));
        await File.WriteAllTextAsync(Path.Combine(home, ".codex", "config.toml"), $"""
            model = "gpt-5.5"
            model_provider = "catalyst"

            [model_providers.catalyst]
            name = "Catalyst"
            base_url = "{BrokerBaseUrl(task.Access)}"
            env_key = "OPENAI_API_KEY"
            wire_api = "responses"
            request_max_retries = 0
            stream_max_retries = 0

            [analytics]
            enabled = false

            [features]
            plugins = false
            remote_plugin = false
            apps = false
            """);
        var run = await AgentClis.RunAsync(repo,
            [codex, "exec", "--json", "--skip-git-repo-check", "--disable", "unbounded_connection_retries", "--dangerously-bypass-approvals-and-sandbox", "-m", "gpt-5.5", Prompt],
            new Dictionary<string, string> { ["CODEX_HOME"] = Path.Combine(home, ".codex"), ["OPENAI_API_KEY"] = task.Token },
            TimeSpan.FromSeconds(90), home: home);
        await ItWorked(run, model, task, "authorization");
    }

    [Fact]
    public async Task gemini_cli_with_a_task_token()
    {
        var gemini = AgentClis.Require("gemini");
        await using var model = await ScriptedModelServer.StartAsync();
        var task = await TaskWithTokenAsync("gemini-cli", baseUrl: model.BaseUrl);
        model.ApiKey = task.Key;
        var repo = AgentClis.NewRepository();
        var home = Path.Combine(Path.GetDirectoryName(repo)!, "home");
        Directory.CreateDirectory(Path.Combine(home, ".gemini"));
        await File.WriteAllTextAsync(Path.Combine(home, ".gemini", "settings.json"), new JsonObject
        {
            ["security"] = new JsonObject { ["auth"] = new JsonObject { ["selectedType"] = "gemini-api-key" } },
            ["privacy"] = new JsonObject { ["usageStatisticsEnabled"] = false },
            ["telemetry"] = new JsonObject { ["enabled"] = false },
            ["general"] = new JsonObject { ["enableAutoUpdate"] = false, ["enableAutoUpdateNotification"] = false, ["maxAttempts"] = 1 },
        }.ToJsonString());
        var run = await AgentClis.RunAsync(repo,
            [gemini, $"--prompt={Prompt}", "--output-format", "stream-json", "--approval-mode", "yolo", "--skip-trust", "-m", "gemini-2.5-flash"],
            new Dictionary<string, string> { ["GEMINI_API_KEY"] = task.Token, ["GOOGLE_GEMINI_BASE_URL"] = BrokerBaseUrl(task.Access) }, TimeSpan.FromSeconds(90), home: home);
        await ItWorked(run, model, task, "x-goog-api-key");
    }

    [Fact]
    public async Task qwen_code_with_a_task_token()
    {
        var qwen = AgentClis.Require("qwen");
        await using var model = await ScriptedModelServer.StartAsync();
        var task = await TaskWithTokenAsync("qwen-code", baseUrl: model.OpenAiBaseUrl);
        model.ApiKey = task.Key;
        var repo = AgentClis.NewRepository();
        var home = Path.Combine(Path.GetDirectoryName(repo)!, "home");
        Directory.CreateDirectory(Path.Combine(home, ".qwen"));
        await File.WriteAllTextAsync(Path.Combine(home, ".qwen", "settings.json"), new JsonObject
        {
            ["general"] = new JsonObject { ["enableAutoUpdate"] = false },
            ["privacy"] = new JsonObject { ["usageStatisticsEnabled"] = false },
            ["telemetry"] = new JsonObject { ["enabled"] = false },
            ["model"] = new JsonObject { ["generationConfig"] = new JsonObject { ["maxRetries"] = 0 } },
        }.ToJsonString());
        var run = await AgentClis.RunAsync(repo,
            [qwen, $"--prompt={Prompt}", "--output-format", "stream-json", "--auth-type", "openai", "--approval-mode", "yolo"],
            new Dictionary<string, string> { ["OPENAI_API_KEY"] = task.Token, ["OPENAI_BASE_URL"] = BrokerBaseUrl(task.Access), ["OPENAI_MODEL"] = "gpt-4.1" },
            TimeSpan.FromSeconds(90), home: home);
        await ItWorked(run, model, task, "authorization");
    }
}
