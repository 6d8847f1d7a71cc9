using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Catalyst.Tests.Infrastructure;

namespace Catalyst.Tests.Hosting;

/// <summary>
/// The README's run command is the Production environment: every stylesheet and script that a page links (the modules'
/// `/_content/Catalyst.*` files too) must answer there, from the build output and from a published build.
/// </summary>
[Trait("Category", "Slow")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed partial class static_assets_answer_in_production : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"catalyst-assets-{Guid.NewGuid():N}"[..30]);

    /// <summary>Linked by the pages of each module; a page set that no longer links one of them would prove nothing about it.</summary>
    private static readonly string[] ModuleAssets =
    [
        "/_content/Catalyst.Providers/providers.css",
        "/_content/Catalyst.Credentials/credentials.css",
        "/_content/Catalyst.Tasks/parallel-runs.css",
        "/_content/Catalyst.Tasks/diff.css",
    ];

    [Fact]
    public async Task every_stylesheet_and_script_of_every_page_answers_200_from_the_build_output() =>
        await EveryLinkedAssetAnswers(hostDirectory: null);

    [Fact]
    public async Task every_stylesheet_and_script_of_every_page_answers_200_from_a_published_build()
    {
        var published = Path.Combine(_root, "published");
        // As a deployment publishes: with its build (up to date after the tests' build; `--no-build` skips the step that
        // keeps the modules' .cshtml sources out of the output).
        var start = new ProcessStartInfo("dotnet",
            ["publish", Path.Combine(HostProcess.RepositoryRoot(), "src", "Host", "Catalyst.Host.csproj"), "-c", HostProcess.Configuration, "--no-restore", "-nologo", "-v", "quiet", "-o", published])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var publish = Process.Start(start)!;
        var output = await publish.StandardOutput.ReadToEndAsync() + await publish.StandardError.ReadToEndAsync();
        await publish.WaitForExitAsync();
        publish.ExitCode.ShouldBe(0, output);
        // The published layout serves the modules' files from wwwroot/_content, with no build manifest to point elsewhere.
        File.Exists(Path.Combine(published, "wwwroot", "_content", "Catalyst.Tasks", "parallel-runs.css")).ShouldBeTrue(output);
        File.Exists(Path.Combine(published, "Catalyst.Host.staticwebassets.runtime.json")).ShouldBeFalse();

        await EveryLinkedAssetAnswers(published);
    }

    private async Task EveryLinkedAssetAnswers(string? hostDirectory)
    {
        var repositories = Path.Combine(_root, "repos");
        var repository = Path.Combine(repositories, "site");
        Directory.CreateDirectory(repository);
        AgentClis.Git(repository, "init", "-q", "-b", "main");
        AgentClis.Git(repository, "-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "Initial commit");
        // A stand-in Claude Code that ends at once: the task pages need tasks, not an agent that runs.
        var tools = Path.Combine(_root, "tools");
        Directory.CreateDirectory(tools);
        File.WriteAllText(Path.Combine(tools, "claude"), "#!/bin/sh\nexit 1\n");
        File.SetUnixFileMode(Path.Combine(tools, "claude"), (UnixFileMode)0b111_101_101);

        var port = HostProcess.FreePort();
        var settings = new Dictionary<string, string>
        {
            ["Catalyst__Projects__LocalRepositoryRoots"] = repositories,
            ["Catalyst__Workspaces__ToolDirectories"] = tools,
        };
        if (Environment.GetEnvironmentVariable("CATALYST_TEST_UID_BASE") is { } uidBase) settings["Catalyst__Workspaces__SandboxUidBase"] = uidBase;
        await using var host = await HostProcess.StartAsync(Path.Combine(_root, "data"), port, settings, hostDirectory);
        using var ada = new PageClient(new SocketsHttpHandler { AllowAutoRedirect = false }, new Uri($"http://127.0.0.1:{port}"));

        var pages = new List<string> { "/", "/signin", "/signup" };
        var linked = new Dictionary<string, string>();
        async Task Read(string url)
        {
            var html = await ada.GetHtmlAsync(url);
            foreach (Match tag in LinkOrScript().Matches(html))
            {
                if (tag.Value.StartsWith("<link") && !tag.Value.Contains("rel=\"stylesheet\"")) continue;
                var source = SourceAttribute().Match(tag.Value);
                if (source.Success) linked.TryAdd(WebUtility.HtmlDecode(source.Groups[1].Value), url);
            }
        }
        foreach (var url in pages) await Read(url);

        (await ada.PostFormAsync("/signup", new() { ["Email"] = "ada@example.com", ["Password"] = "a long password" }))
            .StatusCode.ShouldBe(HttpStatusCode.Redirect, host.Output);
        (await ada.PostFormAsync("/projects/new", new()
        {
            ["Form.Name"] = "Site", ["Form.Slug"] = "site", ["Form.RepositoryUrl"] = repository, ["Form.DefaultBranch"] = "main",
            ["Form.TimeoutSeconds"] = "60", ["Form.MaxConcurrentTasks"] = "2",
        })).StatusCode.ShouldBe(HttpStatusCode.Redirect, host.Output);
        (await ada.PostFormAsync("/settings/agents/new", new()
        {
            ["Form.Provider"] = "claude-code", ["Form.ApiKey"] = "sk-ant-api03-assets-test-key-0123456789", ["Form.Label"] = "work",
        })).StatusCode.ShouldBe(HttpStatusCode.Redirect, host.Output);
        var credentialId = CredentialId().Match(await ada.GetHtmlAsync("/settings/agents")).Groups[1].Value;
        credentialId.ShouldNotBeEmpty();

        var single = await ada.PostFormAsync("/projects/site/agents/new", new()
        {
            ["Type"] = "feature-dev", ["Provider"] = "claude-code", ["CredentialId"] = credentialId, ["Instructions"] = "Say hello",
        });
        single.StatusCode.ShouldBe(HttpStatusCode.Redirect, await single.Content.ReadAsStringAsync());
        var parallel = await ada.PostFormAsync("/projects/site/agents/new", new()
        {
            ["Type"] = "feature-dev", ["Provider"] = "claude-code", ["CredentialId"] = credentialId, ["Instructions"] = "Say hello twice", ["Runs"] = "2",
        });
        parallel.StatusCode.ShouldBe(HttpStatusCode.Redirect, await parallel.Content.ReadAsStringAsync());

        foreach (var url in new[]
                 {
                     "/projects", "/projects/new", "/projects/site", "/projects/site/edit", "/projects/site/agents",
                     "/projects/site/agents/new", "/projects/site/agents/compare", single.Headers.Location!.ToString(),
                     parallel.Headers.Location!.ToString(), "/settings/agents", "/settings/agents/new", "/settings/tokens", "/settings/budgets",
                     "/settings/users", "/settings/account", "/settings/notifications", "/tasks", single.Headers.Location + "/diff",
                 })
            await Read(url);

        foreach (var asset in ModuleAssets.Append("/lib/htmx/htmx.min.js").Append("/css/site.css"))
            linked.Keys.ShouldContain(k => k.Split('?')[0] == asset, $"no page links {asset}");
        var failures = new List<string>();
        foreach (var (asset, page) in linked)
        {
            var response = await ada.GetAsync(asset);
            var body = await response.Content.ReadAsByteArrayAsync();
            if (response.StatusCode != HttpStatusCode.OK || body.Length == 0) failures.Add($"{asset} (linked by {page}): {(int)response.StatusCode}, {body.Length} bytes");
        }
        failures.ShouldBeEmpty();
    }

    [GeneratedRegex("<(?:link|script)\\b[^>]*>")]
    private static partial Regex LinkOrScript();

    [GeneratedRegex("\\b(?:href|src)=\"(/[^\"]+)\"")]
    private static partial Regex SourceAttribute();

    [GeneratedRegex("data-credential=\"([0-9a-f-]{36})\"")]
    private static partial Regex CredentialId();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        return ValueTask.CompletedTask;
    }
}
