using Catalyst.Contracts;
using Catalyst.Operator;
using Catalyst.Providers.Catalogue;
using Microsoft.Extensions.Configuration;

namespace Catalyst.Tests.CliInstalls;

public sealed class cli_install_command_lines
{
    private static LocalWorkspaceOptions Options(params (string Key, string Value)[] settings) =>
        LocalWorkspaceOptions.FromConfiguration(new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)).Prepend(new("CATALYST_DATA_DIR", "/srv/catalyst")))
            .Build());

    [Fact]
    public void the_cache_is_under_the_data_directory_unless_configured()
    {
        Options().CliCacheDirectory.ShouldBe("/srv/catalyst/agent-clis");
        Options(("Catalyst:Workspaces:CliCache", "/var/cache/agent-clis")).CliCacheDirectory.ShouldBe("/var/cache/agent-clis");
        Options().CliInstallTimeout.ShouldBe(TimeSpan.FromMinutes(10));
        Options(("Catalyst:Workspaces:CliInstallTimeoutSeconds", "120")).CliInstallTimeout.ShouldBe(TimeSpan.FromMinutes(2));
    }

    [Fact]
    public void npm_installs_the_pinned_version_beside_its_place_in_the_cache()
    {
        var options = Options(("Catalyst:Workspaces:NpmRegistry", "http://npm.internal:4873/"));
        var spec = new InstallSpec("npm", "@openai/codex", "0.169.0", "codex");
        var cache = new AgentCliCache(options);

        cache.InstallDirectory(spec).ShouldBe("/srv/catalyst/agent-clis/@openai/codex@0.169.0");
        cache.BinDirectory(spec).ShouldBe("/srv/catalyst/agent-clis/@openai/codex@0.169.0/node_modules/.bin");
        AgentCliCache.InstallCommands(spec, "/srv/catalyst/agent-clis/@openai/codex@0.169.0.partial", options).ShouldHaveSingleItem().ShouldBe(
        [
            "npm", "install", "--prefix", "/srv/catalyst/agent-clis/@openai/codex@0.169.0.partial", "--no-audit", "--no-fund",
            "--no-update-notifier", "--include=optional", "--save-exact", "--registry", "http://npm.internal:4873/", "@openai/codex@0.169.0",
        ]);
        AgentCliCache.InstallCommands(spec, "/x", Options()).Single().ShouldNotContain("--registry");
    }

    [Fact]
    public void pip_makes_a_venv_and_installs_the_pinned_version_into_it()
    {
        var options = Options(("Catalyst:Workspaces:PipIndexUrl", "http://pypi.internal/simple/"));
        var spec = new InstallSpec("pip", "aider-chat", "0.86.2", "aider");
        var cache = new AgentCliCache(options);

        cache.InstallDirectory(spec).ShouldBe("/srv/catalyst/agent-clis/aider-chat@0.86.2");
        cache.BinDirectory(spec).ShouldBe("/srv/catalyst/agent-clis/aider-chat@0.86.2/bin");
        var steps = AgentCliCache.InstallCommands(spec, cache.InstallDirectory(spec), options);
        steps.Count.ShouldBe(2);
        steps[0].ShouldBe(["python3", "-m", "venv", "/srv/catalyst/agent-clis/aider-chat@0.86.2/venv"]);
        steps[1].ShouldBe(
        [
            "/srv/catalyst/agent-clis/aider-chat@0.86.2/venv/bin/python", "-m", "pip", "install", "--disable-pip-version-check", "--no-input",
            "--index-url", "http://pypi.internal/simple/", "aider-chat==0.86.2",
        ]);
        AgentCliCache.InstallCommands(spec, "/x", Options())[1].ShouldNotContain("--index-url");
    }

    [Theory]
    [InlineData("npm", "../../etc", "1.0.0", "x")]
    [InlineData("npm", "left-pad", "1.0.0/../..", "x")]
    [InlineData("npm", "left-pad", "1.0.0", "../bin/sh")]
    [InlineData("npm", "left-pad", "1.0.0", "..")]
    [InlineData("pip", "aider chat", "1.0", "aider")]
    [InlineData("brew", "aider", "1.0", "aider")]
    public void an_install_spec_that_would_leave_the_cache_or_that_no_installer_takes_is_refused(string manager, string package, string version, string binary) =>
        AgentCliCache.Invalid(new InstallSpec(manager, package, version, binary)).ShouldNotBeNull().ShouldStartWith($"Installing {package}@{version} failed: ");

    [Fact]
    public void the_built_in_providers_install_specs_are_accepted()
    {
        foreach (var provider in BuiltInAgentProviders.All)
            AgentCliCache.Invalid(provider.Install.ShouldNotBeNull()).ShouldBeNull();
    }
}
