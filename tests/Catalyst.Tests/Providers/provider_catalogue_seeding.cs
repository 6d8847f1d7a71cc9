using Catalyst.Contracts;
using Catalyst.Providers;
using Catalyst.Providers.Catalogue;
using Catalyst.Tests.Infrastructure;
using Marten;
using Marten.Schema;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Catalyst.Tests.Providers;

public sealed class provider_catalogue_seeding(AppFixture fixture) : IntegrationContext(fixture)
{
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 11, 25, 9, 0, 0, TimeSpan.Zero));

    private Task Seed(params AgentProviderDefinition[] definitions) =>
        new AgentProviderSeed(definitions, _clock, NullLogger<AgentProviderSeed>.Instance).Populate(Store, CancellationToken.None);

    private async Task<Dictionary<string, AgentProvider>> Stored()
    {
        await using var session = Store.QuerySession();
        // The test host also registers the script agent the task tests run; these tests are about the others.
        return (await session.Query<AgentProvider>().ToListAsync()).Where(p => p.Id != ScriptAgent.Name).ToDictionary(p => p.Id);
    }

    private static readonly AgentProviderDefinition TestAgent = BuiltInAgentProviders.ClaudeCode with
    {
        Name = "test-agent",
        DisplayName = "Test agent",
        Description = "A scripted agent for tests.",
        Monogram = "Ta",
        Order = 5,
        Install = null,
        Command = ["/bin/sh", "{workspace}/agent.sh", "{prompt_file}"],
        OutputFormat = "text",
    };

    [Fact]
    public async Task the_seven_agents_are_in_the_catalogue_at_start_up()
    {
        var providers = await Invoke<IReadOnlyList<AgentProviderInfo>>(new ListAgentProviders());
        providers.Select(p => p.Name).Where(n => n != ScriptAgent.Name).ShouldBe(["claude-code", "codex-cli", "cline", "aider", "gemini-cli", "qwen-code", "opencode"]);
        providers.ShouldAllBe(p => p.Active);

        var codex = await Invoke<AgentProviderInfo?>(new GetAgentProvider("codex-cli"));
        codex.ShouldNotBeNull();
        codex.Install.ShouldBe(new InstallSpec("npm", "@openai/codex", "0.169.0", "codex"));
        codex.CredentialVariables.ShouldBe(["OPENAI_API_KEY"]);
        codex.DefaultBaseUrl.ShouldBe("https://api.openai.com/v1");
        codex.KeyCheck!.Headers["Authorization"].ShouldBe("Bearer {key}");
        // Stored and read back as JSON without losing the exact spelling of variables and paths.
        codex.Launch.Environment["CODEX_HOME"].ShouldBe("{home}/.codex");
        codex.Launch.HomeFiles.Keys.ShouldBe([".codex/config.toml"]);
        codex.Launch.HomeFiles[".codex/config.toml"].ShouldBe(BuiltInAgentProviders.CodexCli.ConfigTemplate[".codex/config.toml"]);
        codex.Launch.Command.ShouldBe(BuiltInAgentProviders.CodexCli.Command);

        var cline = await Invoke<AgentProviderInfo?>(new GetAgentProvider("cline"));
        cline!.Launch.Setup.Single().ShouldBe(BuiltInAgentProviders.Cline.Setup.Single());
        var opencode = await Invoke<AgentProviderInfo?>(new GetAgentProvider("opencode"));
        opencode!.Launch.HomeFiles.Keys.ShouldBe([".config/opencode/opencode.json", ".npmrc"], ignoreOrder: true);
        opencode.Launch.HomeFiles[".config/opencode/opencode.json"].ShouldBe(BuiltInAgentProviders.OpenCode.ConfigTemplate[".config/opencode/opencode.json"]);
        (await Invoke<AgentProviderInfo?>(new GetAgentProvider("gemini-cli")))!.KeyCheck!.Headers["x-goog-api-key"].ShouldBe("{key}");
        (await Invoke<AgentProviderInfo?>(new GetAgentProvider("no-such-agent"))).ShouldBeNull();
    }

    [Fact]
    public async Task seeding_again_writes_nothing_and_a_changed_definition_updates_its_document()
    {
        await Seed(BuiltInAgentProviders.All.ToArray());
        var first = await Stored();
        first.Count.ShouldBe(BuiltInAgentProviders.All.Count);

        _clock.Advance(TimeSpan.FromHours(1));
        await Seed(BuiltInAgentProviders.All.ToArray());
        var second = await Stored();
        second.Count.ShouldBe(BuiltInAgentProviders.All.Count);
        foreach (var (name, provider) in second) provider.UpdatedAt.ShouldBe(first[name].UpdatedAt);

        _clock.Advance(TimeSpan.FromHours(1));
        var upgraded = BuiltInAgentProviders.ClaudeCode with
        {
            Description = "A newer Claude Code.",
            Install = BuiltInAgentProviders.ClaudeCode.Install! with { Version = "2.2.0" },
        };
        await Seed([upgraded, .. BuiltInAgentProviders.All.Skip(1)]);
        var third = await Stored();
        third.Count.ShouldBe(BuiltInAgentProviders.All.Count);
        third["claude-code"].Description.ShouldBe("A newer Claude Code.");
        third["claude-code"].Install!.Version.ShouldBe("2.2.0");
        third["claude-code"].UpdatedAt.ShouldBe(_clock.Now);
        third["claude-code"].CreatedAt.ShouldBe(first["claude-code"].CreatedAt);
        foreach (var name in third.Keys.Where(n => n != "claude-code")) third[name].UpdatedAt.ShouldBe(first[name].UpdatedAt);
        (await Invoke<AgentProviderInfo?>(new GetAgentProvider("claude-code")))!.Install!.Version.ShouldBe("2.2.0");
    }

    [Fact]
    public async Task an_extra_definition_registered_in_di_is_seeded_and_a_removed_one_turns_inactive()
    {
        // The way a deployment or a test adds an agent: a singleton instance next to the built-in ones.
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(_clock);
        services.AddProvidersModule();
        services.AddSingleton(TestAgent);
        await using (var provider = services.BuildServiceProvider())
        {
            provider.GetServices<AgentProviderDefinition>().Select(d => d.Name).ShouldBe(["claude-code", "codex-cli", "cline", "aider", "gemini-cli", "qwen-code", "opencode", "test-agent"]);
            var seed = provider.GetServices<IInitialData>().OfType<AgentProviderSeed>().Single();
            await seed.Populate(Store, CancellationToken.None);
        }

        var listed = await Invoke<IReadOnlyList<AgentProviderInfo>>(new ListAgentProviders());
        listed.Select(p => p.Name).Where(n => n != ScriptAgent.Name).ShouldBe(["test-agent", "claude-code", "codex-cli", "cline", "aider", "gemini-cli", "qwen-code", "opencode"]);
        (await Invoke<AgentProviderInfo?>(new GetAgentProvider("test-agent")))!.Launch.Command.ShouldBe(["/bin/sh", "{workspace}/agent.sh", "{prompt_file}"]);

        _clock.Advance(TimeSpan.FromMinutes(5));
        await Seed(BuiltInAgentProviders.All.ToArray());
        var stored = await Stored();
        stored.Count.ShouldBe(BuiltInAgentProviders.All.Count + 1);
        stored["test-agent"].Active.ShouldBeFalse();
        stored["test-agent"].InCatalogue.ShouldBeFalse();
        (await Invoke<IReadOnlyList<AgentProviderInfo>>(new ListAgentProviders())).Select(p => p.Name).ShouldNotContain("test-agent");
        var all = await Invoke<IReadOnlyList<AgentProviderInfo>>(new ListAgentProviders(IncludeInactive: true));
        all.Where(p => p.Name != ScriptAgent.Name).Last().Name.ShouldBe("test-agent");
        all.Single(p => p.Name == "test-agent").Active.ShouldBeFalse();

        // Back in the code, back in the catalogue.
        await Seed([.. BuiltInAgentProviders.All, TestAgent]);
        (await Stored())["test-agent"].Active.ShouldBeTrue();
    }

    [Fact]
    public async Task an_inactive_provider_takes_no_new_credentials()
    {
        await Seed([.. BuiltInAgentProviders.All.Select(d => d.Name == "aider" ? d with { Active = false } : d)]);
        using var ada = await SignedUp("ada@example.com");
        (await ada.GetHtmlAsync("/settings/agents/new")).ShouldNotContain("data-provider=\"aider\"");
        var response = await ada.PostFormAsync("/settings/agents/new", new() { ["Form.Provider"] = "aider", ["Form.ApiKey"] = "sk-0123456789abcdef" });
        response.StatusCode.ShouldBe(System.Net.HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task a_broken_definition_is_refused_with_the_reason()
    {
        var broken = TestAgent with { Name = "Not A Name", Features = ["telepathy"] };
        var error = await Should.ThrowAsync<InvalidOperationException>(() => Seed(broken));
        error.Message.ShouldContain("“Not A Name” is not a provider name");
        error.Message.ShouldContain("unknown feature “telepathy”");
    }
}
