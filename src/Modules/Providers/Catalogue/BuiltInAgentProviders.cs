using Catalyst.Contracts;

namespace Catalyst.Providers.Catalogue;

/// <summary>
/// The agent CLIs Catalyst ships with. Each runs headless with its own throw-away HOME, every outside call it
/// would make on its own (telemetry, update checks, plugin sync) switched off, and retries off so that a dead
/// model server ends the task instead of hanging it. See docs/providers.md.
/// </summary>
public static class BuiltInAgentProviders
{
    private static readonly CredentialCheck AnthropicModels = new("GET", "v1/models", new Dictionary<string, string>
    {
        ["x-api-key"] = "{key}",
        ["anthropic-version"] = "2023-06-01",
    });

    // OpenAI-style base URLs end in /v1 (that is what Codex's and Cline's base_url settings expect).
    private static readonly CredentialCheck OpenAIModels = new("GET", "models", new Dictionary<string, string>
    {
        ["Authorization"] = "Bearer {key}",
    });

    public static readonly AgentProviderDefinition ClaudeCode = new()
    {
        Name = "claude-code",
        DisplayName = "Claude Code",
        Description = "Anthropic's agentic coding CLI: reads the repository, edits files and runs commands, with hooks, plans, subagents and MCP servers.",
        Monogram = "CC",
        Order = 10,
        Install = new InstallSpec("npm", "@anthropic-ai/claude-code", "2.1.328", "claude"),
        Features = [AgentFeatures.Hooks, AgentFeatures.Plans, AgentFeatures.Subagents, AgentFeatures.Mcp],
        CredentialVariables = ["ANTHROPIC_API_KEY"],
        BaseUrlVariable = "ANTHROPIC_BASE_URL",
        DefaultBaseUrl = "https://api.anthropic.com",
        DefaultModel = "claude-sonnet-4-5",
        KeyCheck = AnthropicModels,
        Command = ["claude", "-p", "{prompt}", "--output-format", "stream-json", "--verbose", "--dangerously-skip-permissions", "--model", "{model}"],
        // Plan mode reads and proposes, it changes nothing; the session id is fixed so that the approval resumes it.
        PlanCommand = ["claude", "-p", "{prompt}", "--output-format", "stream-json", "--verbose", "--permission-mode", "plan", "--session-id", "{session_id}", "--model", "{model}"],
        ResumeCommand = ["claude", "-p", "{prompt}", "--resume", "{session_id}", "--output-format", "stream-json", "--verbose", "--dangerously-skip-permissions", "--model", "{model}"],
        Environment = new Dictionary<string, string>
        {
            ["HOME"] = "{home}",
            ["ANTHROPIC_BASE_URL"] = "{base_url}",
            // Bypassing permissions is refused as root unless the CLI is told it runs in a sandbox, which a workspace is.
            ["IS_SANDBOX"] = "1",
            ["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1",
            ["DISABLE_TELEMETRY"] = "1",
            ["DISABLE_AUTOUPDATER"] = "1",
            ["DISABLE_ERROR_REPORTING"] = "1",
            // Otherwise about ten retries with backoff: minutes against a dead server.
            ["CLAUDE_CODE_MAX_RETRIES"] = "0",
        },
        OutputFormat = "claude-stream-json",
    };

    public static readonly AgentProviderDefinition CodexCli = new()
    {
        Name = "codex-cli",
        DisplayName = "Codex CLI",
        Description = "OpenAI's coding agent CLI: plans its work, runs shell commands and edits files, with MCP servers.",
        Monogram = "Cx",
        Order = 20,
        Install = new InstallSpec("npm", "@openai/codex", "0.169.0", "codex"),
        Features = [AgentFeatures.Plans, AgentFeatures.Mcp],
        CredentialVariables = ["OPENAI_API_KEY"],
        // Codex's built-in provider ignores OPENAI_BASE_URL: the base URL goes into config.toml instead.
        BaseUrlVariable = null,
        DefaultBaseUrl = "https://api.openai.com/v1",
        DefaultModel = "gpt-5.5",
        KeyCheck = OpenAIModels,
        Command =
        [
            "codex", "exec", "--json", "--skip-git-repo-check", "--disable", "unbounded_connection_retries",
            "--dangerously-bypass-approvals-and-sandbox", "-m", "{model}", "{prompt}",
        ],
        // A read-only sandbox for the plan; the approval resumes the task's only session (its CODEX_HOME is the task's own).
        PlanCommand =
        [
            "codex", "exec", "--json", "--skip-git-repo-check", "--disable", "unbounded_connection_retries",
            "--sandbox", "read-only", "-m", "{model}", "{prompt}",
        ],
        ResumeCommand =
        [
            "codex", "exec", "resume", "--last", "--json", "--skip-git-repo-check", "--disable", "unbounded_connection_retries",
            "--dangerously-bypass-approvals-and-sandbox", "-m", "{model}", "{prompt}",
        ],
        Environment = new Dictionary<string, string>
        {
            ["HOME"] = "{home}",
            ["CODEX_HOME"] = "{home}/.codex",
        },
        ConfigTemplate = new Dictionary<string, string>
        {
            [".codex/config.toml"] = """
                model_provider = "catalyst"
                model = "{model}"

                [model_providers.catalyst]
                name = "Catalyst"
                base_url = "{base_url}"
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

                """,
        },
        OutputFormat = "codex-json",
    };

    public static readonly AgentProviderDefinition Cline = new()
    {
        Name = "cline",
        DisplayName = "Cline",
        Description = "The Cline coding agent on the command line, against any OpenAI-compatible API, with plan and act modes, hooks and MCP servers.",
        Monogram = "Cl",
        Order = 30,
        Install = new InstallSpec("npm", "cline", "3.0.65", "cline"),
        Features = [AgentFeatures.Hooks, AgentFeatures.Mcp],
        CredentialVariables = ["OPENAI_API_KEY"],
        BaseUrlVariable = null,
        DefaultBaseUrl = "https://api.openai.com/v1",
        DefaultModel = "gpt-5.5",
        KeyCheck = OpenAIModels,
        // The key reaches `cline auth` through the environment, never through the command template; model and base
        // URL are positional arguments of the shell, so nothing in them is read as shell syntax.
        Setup =
        [
            ["sh", "-c", "exec cline auth -p openai -k \"$OPENAI_API_KEY\" -m \"$1\" -b \"$2\"", "cline-auth", "{model}", "{base_url}"],
        ],
        // Passing -P or -m here would make Cline ignore the base URL stored by `cline auth`.
        Command = ["cline", "--json", "{prompt}"],
        Environment = new Dictionary<string, string>
        {
            ["HOME"] = "{home}",
            // Otherwise a background hub daemon outlives the run.
            ["CLINE_SESSION_BACKEND_MODE"] = "local",
            ["CLINE_NO_AUTO_UPDATE"] = "1",
            // Skips a feature-flag request.
            ["IS_TEST"] = "true",
        },
        ConfigTemplate = new Dictionary<string, string>
        {
            [".cline/data/settings/global-settings.json"] = """
                {
                  "telemetryOptOut": true,
                  "autoUpdateEnabled": false
                }

                """,
        },
        OutputFormat = "cline-json",
    };

    public static readonly AgentProviderDefinition Aider = new()
    {
        Name = "aider",
        DisplayName = "Aider",
        Description = "AI pair programming in the terminal: edits files from instructions against an OpenAI-compatible API; plain text output.",
        Monogram = "Ai",
        Order = 40,
        Install = new InstallSpec("pip", "aider-chat", "0.86.2", "aider"),
        Features = [],
        CredentialVariables = ["OPENAI_API_KEY"],
        BaseUrlVariable = "OPENAI_API_BASE",
        DefaultBaseUrl = "https://api.openai.com/v1",
        DefaultModel = "gpt-5.5",
        KeyCheck = OpenAIModels,
        Command =
        [
            "aider", "--message-file", "{prompt_file}", "--yes-always", "--no-stream", "--no-auto-commits",
            "--model", "openai/{model}", "--no-analytics", "--no-check-update", "--no-show-release-notes", "--no-pretty",
        ],
        Environment = new Dictionary<string, string>
        {
            ["HOME"] = "{home}",
            ["OPENAI_API_BASE"] = "{base_url}",
        },
        OutputFormat = "aider-text",
    };

    public static IReadOnlyList<AgentProviderDefinition> All => [ClaudeCode, CodexCli, Cline, Aider];
}
