using Catalyst.Contracts;

namespace Catalyst.Providers.Catalogue;

/// <summary>
/// The agent CLIs Catalyst ships with. Each runs headless with its own throw-away HOME, every outside call it
/// would make on its own (telemetry, update checks, plugin sync) switched off, and retries off (bounded where a CLI
/// has no setting for them) so that a dead model server ends the task instead of hanging it. See docs/providers.md.
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
        // "--" before the prompt: instructions written as a list ("- fix the tests") would otherwise be read as an option.
        Command = ["claude", "-p", "--output-format", "stream-json", "--verbose", "--dangerously-skip-permissions", "--model", "{model}", "--", "{prompt}"],
        // Plan mode reads and proposes, it changes nothing; the session id is fixed so that the approval resumes it.
        PlanCommand = ["claude", "-p", "--output-format", "stream-json", "--verbose", "--permission-mode", "plan", "--session-id", "{session_id}", "--model", "{model}", "--", "{prompt}"],
        ResumeCommand = ["claude", "-p", "--resume", "{session_id}", "--output-format", "stream-json", "--verbose", "--dangerously-skip-permissions", "--model", "{model}", "--", "{prompt}"],
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
            "--dangerously-bypass-approvals-and-sandbox", "-m", "{model}", "--", "{prompt}",
        ],
        // A read-only sandbox for the plan; the approval resumes the task's only session (its CODEX_HOME is the task's own).
        PlanCommand =
        [
            "codex", "exec", "--json", "--skip-git-repo-check", "--disable", "unbounded_connection_retries",
            "--sandbox", "read-only", "-m", "{model}", "--", "{prompt}",
        ],
        ResumeCommand =
        [
            "codex", "exec", "resume", "--last", "--json", "--skip-git-repo-check", "--disable", "unbounded_connection_retries",
            "--dangerously-bypass-approvals-and-sandbox", "-m", "{model}", "--", "{prompt}",
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
        Command = ["cline", "--json", "--", "{prompt}"],
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

    // The Generative Language API answers a bad key with 400 API_KEY_INVALID, a good one with {"models": [...]}.
    private static readonly CredentialCheck GeminiModels = new("GET", "v1beta/models", new Dictionary<string, string>
    {
        ["x-goog-api-key"] = "{key}",
    });

    public static readonly AgentProviderDefinition GeminiCli = new()
    {
        Name = "gemini-cli",
        DisplayName = "Gemini CLI",
        Description = "Google's open-source coding agent for the terminal, with a Gemini API key: edits files and runs commands, with hooks, plan mode, subagents and MCP servers.",
        Monogram = "Gm",
        Order = 50,
        Install = new InstallSpec("npm", "@google/gemini-cli", "0.61.0", "gemini"),
        Features = [AgentFeatures.Hooks, AgentFeatures.Plans, AgentFeatures.Subagents, AgentFeatures.Mcp],
        CredentialVariables = ["GEMINI_API_KEY"],
        BaseUrlVariable = "GOOGLE_GEMINI_BASE_URL",
        DefaultBaseUrl = "https://generativelanguage.googleapis.com",
        DefaultModel = "gemini-2.5-pro",
        KeyCheck = GeminiModels,
        // --prompt=…: yargs reads a separate argument that starts with a dash ("- fix the tests") as an option.
        // -m skips the model router's extra request.
        Command = ["gemini", "--prompt={prompt}", "--output-format", "stream-json", "--approval-mode", "yolo", "--skip-trust", "-m", "{model}"],
        // Plan: its read-only approval mode, under the task's session id; the approval resumes the task's only session.
        PlanCommand = ["gemini", "--prompt={prompt}", "--output-format", "stream-json", "--approval-mode", "plan", "--session-id", "{session_id}", "--skip-trust", "-m", "{model}"],
        ResumeCommand = ["gemini", "--prompt={prompt}", "--resume", "latest", "--output-format", "stream-json", "--approval-mode", "yolo", "--skip-trust", "-m", "{model}"],
        Environment = new Dictionary<string, string>
        {
            ["HOME"] = "{home}",
            ["GOOGLE_GEMINI_BASE_URL"] = "{base_url}",
            // Its error reports (the conversation included) go to the temporary directory: keep them in the task's HOME.
            ["TMPDIR"] = "{home}",
        },
        ConfigTemplate = new Dictionary<string, string>
        {
            // maxAttempts 1: otherwise ten attempts with backoff up to 30 s, minutes against a refusing or dead server.
            [".gemini/settings.json"] = """
                {
                  "security": { "auth": { "selectedType": "gemini-api-key" } },
                  "general": { "enableAutoUpdate": false, "enableAutoUpdateNotification": false, "maxAttempts": 1 },
                  "privacy": { "usageStatisticsEnabled": false },
                  "telemetry": { "enabled": false }
                }

                """,
        },
        OutputFormat = "gemini-stream-json",
    };

    public static readonly AgentProviderDefinition QwenCode = new()
    {
        Name = "qwen-code",
        DisplayName = "Qwen Code",
        Description = "The Qwen team's coding agent for the terminal, against any OpenAI-compatible API (Alibaba Cloud Model Studio by default): edits files and runs commands, with hooks, plan mode, subagents and MCP servers.",
        Monogram = "Qw",
        Order = 60,
        Install = new InstallSpec("npm", "@qwen-code/qwen-code", "0.24.4", "qwen"),
        Features = [AgentFeatures.Hooks, AgentFeatures.Plans, AgentFeatures.Subagents, AgentFeatures.Mcp],
        CredentialVariables = ["OPENAI_API_KEY"],
        BaseUrlVariable = "OPENAI_BASE_URL",
        DefaultBaseUrl = "https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
        DefaultModel = "qwen3-coder-plus",
        KeyCheck = OpenAIModels,
        // --prompt=…, not the positional prompt: a positional argument that starts with a dash is read as an option.
        Command = ["qwen", "--prompt={prompt}", "--output-format", "stream-json", "--auth-type", "openai", "--approval-mode", "yolo"],
        // Plan: "analyze only"; the approval continues the most recent session of the clone, the task's only one.
        PlanCommand = ["qwen", "--prompt={prompt}", "--output-format", "stream-json", "--auth-type", "openai", "--approval-mode", "plan"],
        ResumeCommand = ["qwen", "--prompt={prompt}", "--continue", "--output-format", "stream-json", "--auth-type", "openai", "--approval-mode", "yolo"],
        Environment = new Dictionary<string, string>
        {
            ["HOME"] = "{home}",
            ["OPENAI_BASE_URL"] = "{base_url}",
            ["OPENAI_MODEL"] = "{model}",
            ["TMPDIR"] = "{home}",
            // The workspace is the sandbox; the notice would be a warning in every task's log.
            ["QWEN_CODE_SUPPRESS_YOLO_WARNING"] = "1",
        },
        ConfigTemplate = new Dictionary<string, string>
        {
            // Usage statistics go to Alibaba Cloud's RUM service unless turned off. maxRetries 0 turns off the OpenAI
            // client's own retries; the chat loop above it still makes up to 7 attempts on a 429 or 5xx, and has no setting.
            [".qwen/settings.json"] = """
                {
                  "general": { "enableAutoUpdate": false },
                  "privacy": { "usageStatisticsEnabled": false },
                  "telemetry": { "enabled": false },
                  "model": { "generationConfig": { "maxRetries": 0 } }
                }

                """,
        },
        OutputFormat = "qwen-stream-json",
    };

    public static readonly AgentProviderDefinition OpenCode = new()
    {
        Name = "opencode",
        DisplayName = "OpenCode",
        Description = "The open-source coding agent for the terminal, here with an Anthropic API key (Claude models through @ai-sdk/anthropic): edits files and runs commands, with plan and build agents, subagents and MCP servers.",
        Monogram = "OC",
        Order = 70,
        Install = new InstallSpec("npm", "opencode-ai", "1.18.33", "opencode"),
        Features = [AgentFeatures.Plans, AgentFeatures.Subagents, AgentFeatures.Mcp],
        CredentialVariables = ["ANTHROPIC_API_KEY"],
        // The base URL goes into the provider's options in opencode.json.
        BaseUrlVariable = null,
        DefaultBaseUrl = "https://api.anthropic.com",
        DefaultModel = "claude-sonnet-4-5",
        KeyCheck = AnthropicModels,
        // --auto approves what would otherwise be asked (the workspace is the sandbox); a set title skips the request
        // that would have the model write one; "--" keeps a prompt that starts with a dash from being read as an option.
        Command = ["opencode", "run", "--format", "json", "--auto", "--title", "Catalyst task", "--", "{prompt}"],
        // Plan: OpenCode's own read-only "plan" agent; the approval continues the last session with the default agent.
        PlanCommand = ["opencode", "run", "--format", "json", "--agent", "plan", "--title", "Catalyst task", "--", "{prompt}"],
        ResumeCommand = ["opencode", "run", "--format", "json", "--auto", "--continue", "--", "{prompt}"],
        Environment = new Dictionary<string, string>
        {
            ["HOME"] = "{home}",
            ["TMPDIR"] = "{home}",
            ["OPENCODE_DISABLE_MODELS_FETCH"] = "1",
            ["OPENCODE_DISABLE_AUTOUPDATE"] = "1",
            ["OPENCODE_DISABLE_SHARE"] = "1",
            ["OPENCODE_DISABLE_LSP_DOWNLOAD"] = "1",
        },
        ConfigTemplate = new Dictionary<string, string>
        {
            // The key stays in the environment ({env:…} is OpenCode's own substitution); snapshots (undo) off: they
            // would copy the whole working tree into HOME.
            [".config/opencode/opencode.json"] = """
                {
                  "$schema": "https://opencode.ai/config.json",
                  "autoupdate": false,
                  "share": "disabled",
                  "snapshot": false,
                  "model": "catalyst/{model}",
                  "provider": {
                    "catalyst": {
                      "npm": "@ai-sdk/anthropic",
                      "name": "Catalyst",
                      "options": { "baseURL": "{base_url}/v1", "apiKey": "{env:ANTHROPIC_API_KEY}" },
                      "models": { "{model}": { "name": "{model}" } }
                    }
                  }
                }

                """,
            // OpenCode npm-installs its plugin package in the background at every start: make that fail at once, offline.
            [".npmrc"] = """
                registry=http://127.0.0.1:9/
                offline=true

                """,
        },
        OutputFormat = "opencode-json",
    };

    public static IReadOnlyList<AgentProviderDefinition> All => [ClaudeCode, CodexCli, Cline, Aider, GeminiCli, QwenCode, OpenCode];
}
