using Catalyst.Contracts;
using Catalyst.Operator;

namespace Catalyst.Tests.Workspaces;

public sealed class agents_see_only_their_own_environment : IDisposable
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();
    private readonly Dictionary<string, string?> _saved = new();

    public void Dispose()
    {
        foreach (var (name, value) in _saved) Environment.SetEnvironmentVariable(name, value);
        _sandbox.Dispose();
    }

    private void SetHostVariable(string name, string value)
    {
        _saved.TryAdd(name, Environment.GetEnvironmentVariable(name));
        Environment.SetEnvironmentVariable(name, value);
    }

    [Fact]
    public async Task host_secrets_never_reach_the_agent_and_the_task_token_is_only_in_the_provider_variable()
    {
        SetHostVariable("Catalyst__EncryptionKey", "host-encryption-key-5f1e");
        SetHostVariable("ConnectionStrings__Catalyst", "Host=127.0.0.1;Password=host-db-password-77");
        SetHostVariable("GitHub__ClientSecret", "host-github-secret-31");
        var agent = _sandbox.Agent("""
            env -0 > "$HOME/env.txt"
            env
            echo "key: $ANTHROPIC_API_KEY"
            """);
        var spec = _sandbox.Spec(Guid.NewGuid(), agent);
        var events = new PublishedEvents();
        var runner = new LocalWorkspaceRunner(spec, WorkspaceSandbox.Credential(), _sandbox.Options(keep: true), events.Publish);

        var exited = await runner.RunAsync();
        exited.End.ShouldBe(WorkspaceEnd.Exited, exited.Error);

        var env = File.ReadAllText(Path.Combine(runner.HomeDirectory, "env.txt")).Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(v => v.Split('=', 2)).ToDictionary(v => v[0], v => v[1]);
        env.Keys.ShouldNotContain("Catalyst__EncryptionKey");
        env.Keys.ShouldNotContain("ConnectionStrings__Catalyst");
        env.Keys.ShouldNotContain("GitHub__ClientSecret");
        env.Values.ShouldNotContain(v => v.Contains("host-"));
        env.Where(v => v.Value.Contains(WorkspaceSandbox.Key)).Select(v => v.Key).ShouldBe(["ANTHROPIC_API_KEY"]);
        env["ANTHROPIC_API_KEY"].ShouldBe(WorkspaceSandbox.Key);
        // The broker's door inside the sandbox, with the vendor's path kept.
        env["ANTHROPIC_BASE_URL"].ShouldBe("http://127.0.0.1:8400/v1");
        env["HOME"].ShouldBe(runner.HomeDirectory);
        env["TEST_AGENT_CONFIG"].ShouldBe(Path.Combine(runner.HomeDirectory, ".config/test-agent.json"));
        env["LANG"].ShouldBe("C.UTF-8");
        env["PATH"].ShouldEndWith(LocalWorkspaceOptions.SafePath);
        env["CATALYST_TASK_ID"].ShouldBe(spec.TaskId.ToString());

        // The key is redacted from everything the runner publishes.
        events.Text(OutputStream.Stdout).ShouldContain("key: [REDACTED]");
        events.Text(OutputStream.Stdout).ShouldContain("ANTHROPIC_API_KEY=[REDACTED]");
        events.Lines.ShouldNotContain(l => l.Text.Contains(WorkspaceSandbox.Key));
        events.Lines.ShouldNotContain(l => l.Text.Contains("host-"));
    }

    [Fact]
    public async Task the_provider_default_model_applies_when_the_credential_names_none()
    {
        var agent = _sandbox.Agent("""cat "$TEST_AGENT_CONFIG"; echo""");
        var events = new PublishedEvents();
        var spec = _sandbox.Spec(Guid.NewGuid(), agent);
        var runner = new LocalWorkspaceRunner(spec, WorkspaceSandbox.Credential(model: null), _sandbox.Options(), events.Publish);

        (await runner.RunAsync()).End.ShouldBe(WorkspaceEnd.Exited);

        events.Text(OutputStream.Stdout).ShouldContain($"{{\"model\":\"default-model\",\"baseUrl\":\"http://127.0.0.1:8400/v1\",\"repo\":\"{runner.RepositoryDirectory}\"}}");
    }

    [Fact]
    public async Task without_the_sandbox_the_agent_talks_to_the_brokers_own_url_with_the_vendors_path()
    {
        var agent = _sandbox.Agent("""echo "base=${ANTHROPIC_BASE_URL:-unset}" """);
        var events = new PublishedEvents();
        var spec = _sandbox.Spec(Guid.NewGuid(), agent);
        var access = WorkspaceSandbox.Credential(baseUrl: "https://api.anthropic.com") with { BrokerUrl = "http://127.0.0.1:41234/" };
        var runner = new LocalWorkspaceRunner(spec, access, _sandbox.Options() with { Sandbox = false }, events.Publish);

        (await runner.RunAsync()).End.ShouldBe(WorkspaceEnd.Exited);

        events.Text(OutputStream.Stdout).ShouldContain("base=http://127.0.0.1:41234");
    }
}
