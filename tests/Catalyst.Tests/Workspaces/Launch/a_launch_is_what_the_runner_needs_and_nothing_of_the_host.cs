using Catalyst.Contracts;
using Catalyst.Operator.Workspaces;

namespace Catalyst.Tests.Workspaces.Launch;

/// <summary>The launch is a pure value: any backend lays its files out under its own directory and hands the runner its environment.</summary>
public sealed class a_launch_is_what_the_runner_needs_and_nothing_of_the_host
{
    private static readonly Guid TaskId = Guid.Parse("0e0c4a52-1d1b-4c4f-9d61-4b8f2a7c91d3");
    private const string Token = "catalyst-task-token-0123456789";

    private static AgentProviderInfo Provider(AgentLaunch launch) => new("claude-code", "Claude Code", "", true, [],
        ["ANTHROPIC_API_KEY"], "ANTHROPIC_BASE_URL", "claude-default", null, launch);

    private static WorkspaceSpec Spec(AgentLaunch launch, WorkspacePhase phase = WorkspacePhase.Run) =>
        new(TaskId, "https://git.example/app.git", "main", "", "Fix the README  \n", "See issue 4.", Provider(launch), Guid.NewGuid(), 600,
            new Dictionary<string, string>())
        {
            Phase = phase,
            Hooks = new ProjectHooks(["npm ci"], ["npm test", "make lint"]),
        };

    private static readonly AgentLaunch Claude = new(
        ["claude", "-p", "{prompt_file}", "--model", "{model}", "--session-id", "{session_id}"],
        new Dictionary<string, string> { ["CLAUDE_CONFIG_DIR"] = "{home}/.claude" },
        new Dictionary<string, string> { [".claude/settings.json"] = """{"apiUrl":"{base_url}","cwd":"{workspace}"}""" },
        "stream-json")
    {
        Setup = [["claude", "login", "--home", "{home}"]],
        PlanCommand = ["claude", "--plan", "{prompt_file}"],
    };

    private static WorkspaceLaunchSettings Settings(string directory = "/workspace") => new()
    {
        Directory = directory,
        EntrypointPath = "/opt/catalyst/runner/entrypoint.sh",
        PathDirectories = ["/opt/clis/bin", "/usr/bin:/bin"],
        AgentBaseUrl = WorkspaceLaunch.AgentBaseUrl(new TaskAccess(TaskId, Token, null, "https://api.anthropic.com/v1/"), "http://broker.catalyst:8400/"),
        StopGrace = TimeSpan.FromSeconds(10),
    };

    private static readonly TaskAccess Access = new(TaskId, Token, "claude-opus", "https://api.anthropic.com/v1/");

    [Fact]
    public void files_are_relative_to_the_workspace_and_placeholders_name_the_backends_directory()
    {
        var launch = WorkspaceLaunch.For(Spec(Claude), Access, Settings("/workspace/"));

        launch.Files.Keys.ShouldBe(["prompt.md", "agent-argv", "agent-setup-1", "pre-hooks", "post-hooks", "home/.claude/settings.json"], ignoreOrder: true);
        launch.Files["prompt.md"].ShouldBe("Fix the README\n\nSee issue 4.\n");
        launch.Files["agent-argv"].ShouldBe(
            $"claude\0-p\0/workspace/prompt.md\0--model\0claude-opus\0--session-id\0{TaskId}\0");
        launch.Files["agent-setup-1"].ShouldBe("claude\0login\0--home\0/workspace/home\0");
        launch.Files["pre-hooks"].ShouldBe("npm ci\0");
        launch.Files["post-hooks"].ShouldBe("npm test\0make lint\0");
        launch.Files["home/.claude/settings.json"].ShouldBe("""{"apiUrl":"http://broker.catalyst:8400/v1","cwd":"/workspace/repo"}""");
        launch.RunnerFiles.ShouldNotContain("home/.claude/settings.json");
        launch.RunnerCommand.ShouldBe(["bash", "/opt/catalyst/runner/entrypoint.sh"]);
    }

    [Fact]
    public void the_environment_holds_the_task_token_never_a_host_variable()
    {
        Environment.SetEnvironmentVariable("CATALYST_LAUNCH_TEST_SECRET", "host-only");
        var env = WorkspaceLaunch.For(Spec(Claude), Access, Settings()).Environment;

        env.Keys.ShouldNotContain("CATALYST_LAUNCH_TEST_SECRET");
        env["ANTHROPIC_API_KEY"].ShouldBe(Token);
        env["ANTHROPIC_BASE_URL"].ShouldBe("http://broker.catalyst:8400/v1");
        env["PATH"].ShouldBe("/opt/clis/bin:/usr/bin:/bin");
        env["HOME"].ShouldBe("/workspace/home");
        env["CLAUDE_CONFIG_DIR"].ShouldBe("/workspace/home/.claude");
        env["CATALYST_WORKSPACE"].ShouldBe("/workspace");
        env["CATALYST_REPOSITORY_URL"].ShouldBe("https://git.example/app.git");
        env["CATALYST_WORK_BRANCH"].ShouldBe("catalyst/2a7c91d3");
        env["CATALYST_PRE_HOOKS_FILE"].ShouldBe("/workspace/pre-hooks");
        env["CATALYST_AGENT_SETUP_FILES"].ShouldBe("/workspace/agent-setup-1");
        env["CATALYST_CREDENTIAL_VARIABLES"].ShouldBe("ANTHROPIC_API_KEY");
        env["CATALYST_AGENT_GRACE_SECONDS"].ShouldBe("5");
        env.Keys.ShouldNotContain("CATALYST_TOKEN_REVOKED_FILE");
        env.Keys.ShouldNotContain("CATALYST_SANDBOX_ARGV_FILE");
    }

    [Fact]
    public void the_plan_phase_runs_the_plan_command_and_execute_skips_the_set_up()
    {
        WorkspaceLaunch.For(Spec(Claude, WorkspacePhase.Plan), Access, Settings()).Files["agent-argv"].ShouldBe("claude\0--plan\0/workspace/prompt.md\0");
        var execute = WorkspaceLaunch.For(Spec(Claude with { ResumeCommand = ["claude", "--resume", "{session_id}"] }, WorkspacePhase.Execute), Access, Settings());
        execute.Files.Keys.ShouldNotContain("agent-setup-1");
        execute.Environment["CATALYST_PHASE"].ShouldBe("execute");
        WorkspaceLaunch.Refusal(Spec(Claude, WorkspacePhase.Execute)).ShouldBe("The provider 'claude-code' cannot plan first: it has no plan and resume command lines.");
        WorkspaceLaunch.Refusal(Spec(Claude with { Command = [] })).ShouldBe("The provider 'claude-code' has no command line to start its agent.");
        WorkspaceLaunch.Refusal(Spec(Claude)).ShouldBeNull();
    }

    [Theory]
    [InlineData("../.bashrc")]
    [InlineData("/etc/passwd")]
    [InlineData("a/../../x")]
    public void a_provider_home_file_outside_home_is_refused(string relative)
    {
        var launch = Claude with { HomeFiles = new Dictionary<string, string> { [relative] = "x" } };
        Should.Throw<InvalidOperationException>(() => WorkspaceLaunch.For(Spec(launch), Access, Settings())).Message.ShouldContain("outside HOME");
    }

    [Fact]
    public void a_backend_that_confirms_the_revoke_gets_the_file_to_wait_on()
    {
        var env = WorkspaceLaunch.For(Spec(Claude), Access, Settings() with { ConfirmsTokenRevoked = true, RepositoryUrl = "/srv/cache/app.git" }).Environment;
        env["CATALYST_TOKEN_REVOKED_FILE"].ShouldBe("/workspace/runner/token-revoked");
        env["CATALYST_REPOSITORY_URL"].ShouldBe("/srv/cache/app.git");
    }
}
