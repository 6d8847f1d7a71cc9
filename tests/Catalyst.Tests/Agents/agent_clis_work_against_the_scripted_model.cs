using System.Text.Json.Nodes;
using Catalyst.Tests.Infrastructure;

namespace Catalyst.Tests.Agents;

/// <summary>
/// Each real CLI, run by hand (not through Catalyst) against the scripted model server: proves the wire protocols of
/// the stand-in and the CLIs' headless set-up, offline. Set CATALYST_CLI_SAMPLES to a directory to keep their stdout.
/// </summary>
public sealed class agent_clis_work_against_the_scripted_model
{
    private const string Key = "sk-test-5c1f0e4b9d2a7c3e8f6a1b0d";
    private const string Prompt = "Write AGENT_NOTES.md and commit it.";

    private static async Task<AgentClis.Run> Expect(string name, AgentClis.Run run, ScriptedModelServer model)
    {
        var samples = Environment.GetEnvironmentVariable("CATALYST_CLI_SAMPLES");
        if (samples is { Length: > 0 })
        {
            Directory.CreateDirectory(samples);
            await File.WriteAllLinesAsync(Path.Combine(samples, $"{name}.jsonl"), run.Stdout);
            await File.WriteAllTextAsync(Path.Combine(samples, $"{name}.stderr"), run.Stderr);
            await File.WriteAllLinesAsync(Path.Combine(samples, $"{name}.requests"),
                model.Requests.Select(r => $"{r.Method} {r.Path}{r.Query} {string.Join(' ', r.Headers.Where(h => h.Key is "x-api-key" or "authorization" or "x-goog-api-key").Select(h => h.Key))}\n{r.Body}"));
        }
        var context = $"exit {run.ExitCode}\nstdout:\n{string.Join('\n', run.Stdout.TakeLast(30))}\nstderr:\n{run.Stderr}";
        run.ExitCode.ShouldBe(0, context);
        run.Log("AGENT_NOTES.md").ShouldBe("Add agent notes", context);
        model.KeysSeen().ShouldNotBeEmpty();
        model.KeysSeen().ShouldAllBe(k => k.Value == Key);
        return run;
    }

    [Fact]
    public async Task claude_code_writes_and_commits()
    {
        var claude = AgentClis.Require("claude");
        using var network = NetworkNamespace.Supported ? NetworkNamespace.Create() : null;
        await using var model = await ScriptedModelServer.StartAsync(network: network);
        var repo = AgentClis.NewRepository();
        var run = await AgentClis.RunAsync(repo,
            [claude, "-p", Prompt, "--output-format", "stream-json", "--verbose", "--dangerously-skip-permissions", "--model", "claude-sonnet-4-5"],
            new Dictionary<string, string>
            {
                ["IS_SANDBOX"] = "1",
                ["ANTHROPIC_BASE_URL"] = model.BaseUrl,
                ["ANTHROPIC_API_KEY"] = Key,
                ["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1",
                ["DISABLE_TELEMETRY"] = "1",
                ["DISABLE_AUTOUPDATER"] = "1",
                ["DISABLE_ERROR_REPORTING"] = "1",
                ["CLAUDE_CODE_MAX_RETRIES"] = "0",
            }, TimeSpan.FromSeconds(60), network);
        await Expect("claude", run, model);
        model.Requests.ShouldAllBe(r => r.Headers.ContainsKey("x-api-key") && !r.Headers.ContainsKey("authorization"));
    }

    [Fact]
    public async Task codex_writes_and_commits()
    {
        var codex = AgentClis.Require("codex");
        using var network = NetworkNamespace.Supported ? NetworkNamespace.Create() : null;
        await using var model = await ScriptedModelServer.StartAsync(network: network);
        var repo = AgentClis.NewRepository();
        var home = Path.Combine(Path.GetDirectoryName(repo)!, "home");
        Directory.CreateDirectory(Path.Combine(home, ".codex"));
        await File.WriteAllTextAsync(Path.Combine(home, ".codex", "config.toml"), $"""
            model = "gpt-5.5"
            model_provider = "catalyst"

            [model_providers.catalyst]
            name = "Catalyst"
            base_url = "{model.OpenAiBaseUrl}"
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
            new Dictionary<string, string> { ["CODEX_HOME"] = Path.Combine(home, ".codex"), ["OPENAI_API_KEY"] = Key },
            TimeSpan.FromSeconds(60), network, home: home);
        await Expect("codex", run, model);
    }

    [Fact]
    public async Task cline_writes_and_commits()
    {
        var cline = AgentClis.Require("cline");
        using var network = NetworkNamespace.Supported ? NetworkNamespace.Create() : null;
        await using var model = await ScriptedModelServer.StartAsync(network: network);
        var repo = AgentClis.NewRepository();
        var home = Path.Combine(Path.GetDirectoryName(repo)!, "home");
        var env = new Dictionary<string, string> { ["CLINE_SESSION_BACKEND_MODE"] = "local", ["CLINE_NO_AUTO_UPDATE"] = "1", ["IS_TEST"] = "true" };
        var auth = await AgentClis.RunAsync(repo, [cline, "auth", "-p", "openai", "-k", Key, "-m", "gpt-4.1", "-b", model.OpenAiBaseUrl], env, TimeSpan.FromSeconds(30), network, home: home);
        auth.ExitCode.ShouldBe(0, auth.Stderr + string.Join('\n', auth.Stdout));
        Directory.CreateDirectory(Path.Combine(home, ".cline", "data", "settings"));
        await File.WriteAllTextAsync(Path.Combine(home, ".cline", "data", "settings", "global-settings.json"),
            """{"telemetryOptOut": true, "autoUpdateEnabled": false}""");
        var run = await AgentClis.RunAsync(repo, [cline, "--json", Prompt], env, TimeSpan.FromSeconds(60), network, home: home);
        await Expect("cline", run, model);
    }

    [Fact]
    public async Task gemini_writes_and_commits()
    {
        var gemini = AgentClis.Require("gemini");
        using var network = NetworkNamespace.Supported ? NetworkNamespace.Create() : null;
        await using var model = await ScriptedModelServer.StartAsync(network: network);
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
            new Dictionary<string, string> { ["GEMINI_API_KEY"] = Key, ["GOOGLE_GEMINI_BASE_URL"] = model.BaseUrl }, TimeSpan.FromSeconds(60), network, home: home);
        await Expect("gemini", run, model);
        model.Requests.ShouldAllBe(r => r.Headers.ContainsKey("x-goog-api-key") && !r.Headers.ContainsKey("authorization") && !r.Query.Contains("key="));
    }

    [Fact]
    public async Task qwen_code_writes_and_commits()
    {
        var qwen = AgentClis.Require("qwen");
        using var network = NetworkNamespace.Supported ? NetworkNamespace.Create() : null;
        await using var model = await ScriptedModelServer.StartAsync(network: network);
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
            new Dictionary<string, string> { ["OPENAI_API_KEY"] = Key, ["OPENAI_BASE_URL"] = model.OpenAiBaseUrl, ["OPENAI_MODEL"] = "gpt-4.1" },
            TimeSpan.FromSeconds(60), network, home: home);
        await Expect("qwen", run, model);
    }

    [Fact]
    public async Task opencode_writes_and_commits()
    {
        var opencode = AgentClis.Require("opencode");
        using var network = NetworkNamespace.Supported ? NetworkNamespace.Create() : null;
        await using var model = await ScriptedModelServer.StartAsync(network: network);
        var repo = AgentClis.NewRepository();
        var home = Path.Combine(Path.GetDirectoryName(repo)!, "home");
        Directory.CreateDirectory(home);
        await File.WriteAllTextAsync(Path.Combine(home, ".npmrc"), "registry=http://127.0.0.1:9/\noffline=true\n");
        var config = new JsonObject
        {
            ["$schema"] = "https://opencode.ai/config.json",
            ["autoupdate"] = false,
            ["share"] = "disabled",
            ["snapshot"] = false,
            ["model"] = "catalyst/claude-sonnet-4-5",
            ["provider"] = new JsonObject
            {
                ["catalyst"] = new JsonObject
                {
                    ["npm"] = "@ai-sdk/anthropic",
                    ["name"] = "Catalyst",
                    ["options"] = new JsonObject { ["baseURL"] = model.BaseUrl + "/v1", ["apiKey"] = "{env:ANTHROPIC_API_KEY}" },
                    ["models"] = new JsonObject { ["claude-sonnet-4-5"] = new JsonObject { ["name"] = "Claude Sonnet 4.5" } },
                },
            },
        };
        var run = await AgentClis.RunAsync(repo, [opencode, "run", "--format", "json", "--auto", "--title", "Catalyst task", "--", Prompt],
            new Dictionary<string, string>
            {
                ["ANTHROPIC_API_KEY"] = Key,
                ["OPENCODE_CONFIG_CONTENT"] = config.ToJsonString(),
                ["OPENCODE_DISABLE_MODELS_FETCH"] = "1",
                ["OPENCODE_DISABLE_AUTOUPDATE"] = "1",
                ["OPENCODE_DISABLE_SHARE"] = "1",
                ["OPENCODE_DISABLE_LSP_DOWNLOAD"] = "1",
            }, TimeSpan.FromSeconds(60), network, home: home);
        await Expect("opencode", run, model);
        // A set title spares the request that would have the model write one.
        model.ModelCalls.Count.ShouldBe(2);
    }
}
