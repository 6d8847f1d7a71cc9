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

    [Fact]
    public void every_built_in_definition_is_valid_uses_known_placeholders_and_never_carries_a_key()
    {
        BuiltInAgentProviders.All.Select(d => d.Name).ShouldBe(["claude-code", "codex-cli", "cline", "aider"]);
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
        }
    }

    [Fact]
    public void claude_code_runs_headless_with_streamed_json_no_outside_calls_and_no_retries()
    {
        var d = BuiltInAgentProviders.ClaudeCode;
        d.Install.ShouldBe(new("npm", "@anthropic-ai/claude-code", "2.1.328", "claude"));
        d.Command.Take(7).ShouldBe(["claude", "-p", "{prompt}", "--output-format", "stream-json", "--verbose", "--dangerously-skip-permissions"]);
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
            "--dangerously-bypass-approvals-and-sandbox", "-m", "{model}", "{prompt}"]);
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
        d.Command.ShouldBe(["cline", "--json", "{prompt}"]);
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
