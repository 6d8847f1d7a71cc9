using System.Text.Json;
using System.Text.RegularExpressions;
using Catalyst.Providers.Catalogue;

namespace Catalyst.Tests.Providers;

/// <summary>The headless command lines and set-up of each CLI, as observed to work (shared/AGENT-CLIS.md).</summary>
public sealed partial class agent_launch_definitions
{
    private static readonly HashSet<string> Placeholders = ["{prompt}", "{prompt_file}", "{model}", "{base_url}", "{home}", "{workspace}"];

    [GeneratedRegex(@"\{[a-z_]+\}")]
    private static partial Regex Placeholder();

    private static IEnumerable<string> Templates(AgentProviderDefinition d) =>
        d.Command.Concat(d.Environment.Values).Concat(d.ConfigTemplate.Values).Concat(d.ConfigTemplate.Keys).Concat(d.Setup.SelectMany(s => s));

    /// <summary>Instructions written as a list ("- fix the tests") reach the CLI in a file, after "--", or glued to "--prompt=".</summary>
    private static bool PromptCannotBeReadAsAnOption(IReadOnlyList<string> command)
    {
        for (var i = 0; i < command.Count; i++)
        {
            if (command[i] == "{prompt_file}" || command[i].EndsWith("={prompt}", StringComparison.Ordinal)) return true;
            if (command[i] == "{prompt}") return i > 0 && command[i - 1] == "--";
        }
        return false;
    }

    [Fact]
    public void every_built_in_definition_is_valid_uses_known_placeholders_and_never_carries_a_key()
    {
        BuiltInAgentProviders.All.Select(d => d.Name).ShouldBe(["claude-code", "codex-cli", "cline", "aider", "gemini-cli", "qwen-code", "opencode"]);
        foreach (var d in BuiltInAgentProviders.All)
        {
            d.Validate().ShouldBeEmpty();
            foreach (var template in Templates(d))
            foreach (Match m in Placeholder().Matches(template))
                Placeholders.ShouldContain(m.Value, $"{d.Name} uses an unknown placeholder in “{template}”");
            // The key reaches the CLI only through its credential variable, set by the runner.
            foreach (var variable in d.CredentialVariables) d.Environment.ShouldNotContainKey(variable);
            d.Environment["HOME"].ShouldBe("{home}");
            d.KeyCheck.Headers.Values.ShouldContain(v => v.Contains("{key}"));
            d.Launch.Command.ShouldBe(d.Command);
            PromptCannotBeReadAsAnOption(d.Command).ShouldBeTrue($"{d.Name} passes the prompt where a leading dash would be read as an option");
        }
    }

    [Fact]
    public void claude_code_runs_headless_with_streamed_json_no_outside_calls_and_no_retries()
    {
        var d = BuiltInAgentProviders.ClaudeCode;
        d.Install.ShouldBe(new("npm", "@anthropic-ai/claude-code", "2.1.328", "claude"));
        d.Command.ShouldBe(["claude", "-p", "--output-format", "stream-json", "--verbose", "--dangerously-skip-permissions", "--model", "{model}", "--", "{prompt}"]);
        d.CredentialVariables.ShouldBe(["ANTHROPIC_API_KEY"]);
        d.BaseUrlVariable.ShouldBe("ANTHROPIC_BASE_URL");
        d.Environment["ANTHROPIC_BASE_URL"].ShouldBe("{base_url}");
        foreach (var (name, value) in new[]
                 {
                     ("IS_SANDBOX", "1"), ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1"), ("DISABLE_TELEMETRY", "1"),
                     ("DISABLE_AUTOUPDATER", "1"), ("DISABLE_ERROR_REPORTING", "1"), ("CLAUDE_CODE_MAX_RETRIES", "0"),
                 })
            d.Environment[name].ShouldBe(value);
        d.KeyCheck.Path.ShouldBe("v1/models");
        d.KeyCheck.Headers.ShouldBe(new Dictionary<string, string> { ["x-api-key"] = "{key}", ["anthropic-version"] = "2023-06-01" });
        d.Features.ShouldBe(["hooks", "plans", "subagents", "mcp"]);
        d.OutputFormat.ShouldBe("claude-stream-json");
    }

    [Fact]
    public void codex_uses_a_custom_provider_in_its_own_home_with_retries_analytics_and_plugins_off()
    {
        var d = BuiltInAgentProviders.CodexCli;
        d.Install.ShouldBe(new("npm", "@openai/codex", "0.169.0", "codex"));
        d.Command.ShouldBe(["codex", "exec", "--json", "--skip-git-repo-check", "--disable", "unbounded_connection_retries",
            "--dangerously-bypass-approvals-and-sandbox", "-m", "{model}", "--", "{prompt}"]);
        d.Command.ShouldNotContain("--full-auto");
        d.Environment["CODEX_HOME"].ShouldBe("{home}/.codex");
        d.BaseUrlVariable.ShouldBeNull();

        var toml = d.ConfigTemplate[".codex/config.toml"];
        var lines = toml.Split('\n').Select(l => l.Trim()).ToList();
        // TOML: top-level keys before the first table.
        var firstTable = lines.FindIndex(l => l.StartsWith('['));
        lines.Take(firstTable).ShouldContain("model_provider = \"catalyst\"");
        string Section(string name) => string.Join("\n", lines.SkipWhile(l => l != $"[{name}]").Skip(1).TakeWhile(l => !l.StartsWith('[')));
        Section("model_providers.catalyst").ShouldSatisfyAllConditions(
            s => s.ShouldContain("base_url = \"{base_url}\""),
            s => s.ShouldContain("env_key = \"OPENAI_API_KEY\""),
            s => s.ShouldContain("wire_api = \"responses\""),
            s => s.ShouldContain("request_max_retries = 0"),
            s => s.ShouldContain("stream_max_retries = 0"));
        Section("analytics").ShouldContain("enabled = false");
        Section("features").ShouldSatisfyAllConditions(
            s => s.ShouldContain("plugins = false"), s => s.ShouldContain("remote_plugin = false"), s => s.ShouldContain("apps = false"));
        d.CredentialVariables.ShouldBe(["OPENAI_API_KEY"]);
        d.KeyCheck.Headers["Authorization"].ShouldBe("Bearer {key}");
        d.DefaultBaseUrl.ShouldEndWith("/v1");
    }

    [Fact]
    public void cline_logs_in_from_the_environment_runs_locally_and_keeps_its_stored_base_url()
    {
        var d = BuiltInAgentProviders.Cline;
        d.Install.ShouldBe(new("npm", "cline", "3.0.65", "cline"));
        d.Command.ShouldBe(["cline", "--json", "--", "{prompt}"]);
        d.Environment["CLINE_SESSION_BACKEND_MODE"].ShouldBe("local");
        d.Environment["CLINE_NO_AUTO_UPDATE"].ShouldBe("1");
        d.Environment["IS_TEST"].ShouldBe("true");

        var login = d.Setup.Single();
        login[0].ShouldBe("sh");
        login[2].ShouldContain("cline auth -p openai -k \"$OPENAI_API_KEY\" -m \"$1\" -b \"$2\"");
        login.Skip(4).ShouldBe(["{model}", "{base_url}"]);

        using var settings = JsonDocument.Parse(d.ConfigTemplate[".cline/data/settings/global-settings.json"]);
        settings.RootElement.GetProperty("telemetryOptOut").GetBoolean().ShouldBeTrue();
        settings.RootElement.GetProperty("autoUpdateEnabled").GetBoolean().ShouldBeFalse();
    }

    [Fact]
    public void gemini_cli_uses_an_api_key_with_one_attempt_and_no_statistics_telemetry_or_updates()
    {
        var d = BuiltInAgentProviders.GeminiCli;
        d.Install.ShouldBe(new("npm", "@google/gemini-cli", "0.61.0", "gemini"));
        d.Command.ShouldBe(["gemini", "--prompt={prompt}", "--output-format", "stream-json", "--approval-mode", "yolo", "--skip-trust", "-m", "{model}"]);
        d.CredentialVariables.ShouldBe(["GEMINI_API_KEY"]);
        d.BaseUrlVariable.ShouldBe("GOOGLE_GEMINI_BASE_URL");
        d.Environment["GOOGLE_GEMINI_BASE_URL"].ShouldBe("{base_url}");
        d.Environment["TMPDIR"].ShouldBe("{home}");
        d.DefaultBaseUrl.ShouldBe("https://generativelanguage.googleapis.com");
        d.KeyCheck.ShouldSatisfyAllConditions(
            k => k.Method.ShouldBe("GET"), k => k.Path.ShouldBe("v1beta/models"),
            k => k.Headers.ShouldBe(new Dictionary<string, string> { ["x-goog-api-key"] = "{key}" }));

        using var settings = JsonDocument.Parse(d.ConfigTemplate[".gemini/settings.json"]);
        var root = settings.RootElement;
        root.GetProperty("security").GetProperty("auth").GetProperty("selectedType").GetString().ShouldBe("gemini-api-key");
        var general = root.GetProperty("general");
        general.GetProperty("enableAutoUpdate").GetBoolean().ShouldBeFalse();
        general.GetProperty("enableAutoUpdateNotification").GetBoolean().ShouldBeFalse();
        general.GetProperty("maxAttempts").GetInt32().ShouldBe(1);
        root.GetProperty("privacy").GetProperty("usageStatisticsEnabled").GetBoolean().ShouldBeFalse();
        root.GetProperty("telemetry").GetProperty("enabled").GetBoolean().ShouldBeFalse();
        d.OutputFormat.ShouldBe("gemini-stream-json");
    }

    [Fact]
    public void qwen_code_talks_to_an_openai_compatible_api_with_statistics_and_client_retries_off()
    {
        var d = BuiltInAgentProviders.QwenCode;
        d.Install.ShouldBe(new("npm", "@qwen-code/qwen-code", "0.24.4", "qwen"));
        d.Command.ShouldBe(["qwen", "--prompt={prompt}", "--output-format", "stream-json", "--auth-type", "openai", "--approval-mode", "yolo"]);
        d.CredentialVariables.ShouldBe(["OPENAI_API_KEY"]);
        d.BaseUrlVariable.ShouldBe("OPENAI_BASE_URL");
        d.Environment["OPENAI_BASE_URL"].ShouldBe("{base_url}");
        d.Environment["OPENAI_MODEL"].ShouldBe("{model}");
        d.DefaultBaseUrl.ShouldEndWith("/v1");
        d.KeyCheck.Path.ShouldBe("models");
        d.KeyCheck.Headers["Authorization"].ShouldBe("Bearer {key}");

        using var settings = JsonDocument.Parse(d.ConfigTemplate[".qwen/settings.json"]);
        var root = settings.RootElement;
        root.GetProperty("privacy").GetProperty("usageStatisticsEnabled").GetBoolean().ShouldBeFalse();
        root.GetProperty("telemetry").GetProperty("enabled").GetBoolean().ShouldBeFalse();
        root.GetProperty("general").GetProperty("enableAutoUpdate").GetBoolean().ShouldBeFalse();
        root.GetProperty("model").GetProperty("generationConfig").GetProperty("maxRetries").GetInt32().ShouldBe(0);
        d.OutputFormat.ShouldBe("qwen-stream-json");
    }

    [Fact]
    public void opencode_reaches_anthropic_through_its_own_config_with_the_key_left_in_the_environment()
    {
        var d = BuiltInAgentProviders.OpenCode;
        d.Install.ShouldBe(new("npm", "opencode-ai", "1.18.33", "opencode"));
        d.Command.ShouldBe(["opencode", "run", "--format", "json", "--auto", "--title", "Catalyst task", "--", "{prompt}"]);
        d.CredentialVariables.ShouldBe(["ANTHROPIC_API_KEY"]);
        foreach (var name in new[] { "OPENCODE_DISABLE_MODELS_FETCH", "OPENCODE_DISABLE_AUTOUPDATE", "OPENCODE_DISABLE_SHARE", "OPENCODE_DISABLE_LSP_DOWNLOAD" })
            d.Environment[name].ShouldBe("1");
        d.DefaultBaseUrl.ShouldBe("https://api.anthropic.com");
        d.KeyCheck.Headers.ShouldBe(new Dictionary<string, string> { ["x-api-key"] = "{key}", ["anthropic-version"] = "2023-06-01" });

        // Filled in as the runner would: still JSON, the key only as OpenCode's own {env:…} reference.
        var filled = d.ConfigTemplate[".config/opencode/opencode.json"].Replace("{model}", "claude-opus-4-1").Replace("{base_url}", "http://127.0.0.1:8080");
        using var config = JsonDocument.Parse(filled);
        var root = config.RootElement;
        root.GetProperty("autoupdate").GetBoolean().ShouldBeFalse();
        root.GetProperty("share").GetString().ShouldBe("disabled");
        root.GetProperty("snapshot").GetBoolean().ShouldBeFalse();
        root.GetProperty("model").GetString().ShouldBe("catalyst/claude-opus-4-1");
        var provider = root.GetProperty("provider").GetProperty("catalyst");
        provider.GetProperty("npm").GetString().ShouldBe("@ai-sdk/anthropic");
        provider.GetProperty("options").GetProperty("baseURL").GetString().ShouldBe("http://127.0.0.1:8080/v1");
        provider.GetProperty("options").GetProperty("apiKey").GetString().ShouldBe("{env:ANTHROPIC_API_KEY}");
        provider.GetProperty("models").TryGetProperty("claude-opus-4-1", out _).ShouldBeTrue();

        // The plugin install it attempts at every start fails at once, offline.
        d.ConfigTemplate[".npmrc"].Split('\n').ShouldBe(["registry=http://127.0.0.1:9/", "offline=true", ""]);
        d.OutputFormat.ShouldBe("opencode-json");
    }

    [Fact]
    public void aider_reads_its_instructions_from_a_file_and_answers_yes_without_streaming()
    {
        var d = BuiltInAgentProviders.Aider;
        d.Install.ShouldBe(new("pip", "aider-chat", "0.86.2", "aider"));
        d.Command.Take(5).ShouldBe(["aider", "--message-file", "{prompt_file}", "--yes-always", "--no-stream"]);
        d.Command.ShouldContain("--no-auto-commits");
        d.Environment["OPENAI_API_BASE"].ShouldBe("{base_url}");
        d.OutputFormat.ShouldBe("aider-text");
    }
}
