using System.Diagnostics;
using System.Net;
using Catalyst.Operator;
using Catalyst.Tasks.Domain;
using Catalyst.Tasks.Logs;
using Catalyst.Tests.Credentials;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Tasks;
using Catalyst.Tests.Workspaces;
using Marten;

namespace Catalyst.Tests.CliInstalls;

[Collection("cli-installs-host")]
public sealed class agent_clis_are_installed_on_first_use(CliInstallsHostFixture fixture) : IAsyncLifetime
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();
    private PageClient? _client;

    private IDocumentStore Store => fixture.Store;

    public async ValueTask InitializeAsync() => await fixture.Host.ResetDataAsync();

    public ValueTask DisposeAsync()
    {
        _client?.Dispose();
        _sandbox.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Signs up and creates the project "app" (once), adds a credential for the provider and starts a task with it.</summary>
    private async Task<Guid> StartAsync(string provider, int timeoutSeconds = 120)
    {
        if (_client is null)
        {
            _client = new PageClient(fixture.Host.Server.CreateHandler());
            var signUp = await _client.PostFormAsync("/signup", new() { ["Email"] = $"dev-{Guid.NewGuid():N}@example.com", ["Password"] = "correct horse battery" });
            signUp.StatusCode.ShouldBe(HttpStatusCode.Redirect);
            await _client.CreateProjectAsync("app", _sandbox.Origin, timeoutSeconds, maxConcurrent: 2);
        }
        var credential = await _client.AddCredentialAsync(Store, provider, "sk-installed-0123456789abcdef", $"{provider}-{Guid.NewGuid():N}"[..30]);
        var response = await _client.PostFormAsync("/projects/app/agents/new", new()
        {
            ["Type"] = "feature-dev", ["Provider"] = provider, ["CredentialId"] = credential.ToString(), ["Instructions"] = "Write notes and commit them.",
        });
        response.StatusCode.ShouldBe(HttpStatusCode.Redirect, await response.Content.ReadAsStringAsync());
        return Guid.Parse(response.Headers.Location!.ToString().Split('/').Last());
    }

    private Task<IReadOnlyList<AgentTaskLog>> LogsAsync(Guid taskId) => fixture.Host.Services.LogsAsync(taskId);

    private static string Describe(IEnumerable<AgentTaskLog> logs) => string.Join("\n", logs.Select(l => $"{l.Sequence} {l.LevelName} {l.Kind} {l.Message}"));

    private static long SequenceOf(IReadOnlyList<AgentTaskLog> logs, Func<string, bool> match) =>
        logs.FirstOrDefault(l => match(l.Message))?.Sequence ?? throw new ShouldAssertException($"No such line in:\n{Describe(logs)}");

    private void ShouldHaveNoUnfinishedInstall() =>
        Directory.EnumerateFileSystemEntries(fixture.CliCache, "*.partial", SearchOption.AllDirectories).ShouldBeEmpty();

    [Fact]
    public async Task the_first_task_installs_the_cli_and_the_next_one_reuses_it()
    {
        var first = await StartAsync(CliInstallsHostFixture.NpmAgent.Name);
        var task = await Store.WaitUntilFinishedAsync(first, 120);
        var logs = await LogsAsync(first);
        task.Status.ShouldBe(AgentTaskStatus.Completed, $"{task.Error}\n{Describe(logs)}");
        task.Commits.ShouldContain(c => c.Message == "Add notes from the installed agent");

        var installing = SequenceOf(logs, m => m == "Installing fake-npm-agent 1.0.0 (first use) …");
        var npmSaid = SequenceOf(logs, m => m.StartsWith("added 1 package", StringComparison.Ordinal));
        var installed = SequenceOf(logs, m => m.StartsWith("Installed fake-npm-agent 1.0.0 in ", StringComparison.Ordinal) && m.EndsWith(" s.", StringComparison.Ordinal));
        var agentStarted = SequenceOf(logs, m => m.StartsWith("agent started", StringComparison.Ordinal));
        var agentSaid = SequenceOf(logs, m => m == "installed agent at work");
        installing.ShouldBeLessThan(npmSaid);
        npmSaid.ShouldBeLessThan(installed);
        installed.ShouldBeLessThan(agentStarted);
        agentStarted.ShouldBeLessThan(agentSaid);
        logs.Where(l => l.Sequence <= installed).ShouldAllBe(l => l.Kind == TaskLogKinds.System);

        var directory = Path.Combine(fixture.CliCache, "fake-npm-agent@1.0.0");
        File.Exists(Path.Combine(directory, AgentCliCache.StampFile)).ShouldBeTrue();
        File.Exists(Path.Combine(directory, "node_modules", ".bin", "fake-npm-agent")).ShouldBeTrue();
        ShouldHaveNoUnfinishedInstall();
        var asked = fixture.Npm.Requests("fake-npm-agent");
        fixture.Npm.Downloads("fake-npm-agent").ShouldBe(1);

        var second = await StartAsync(CliInstallsHostFixture.NpmAgent.Name);
        task = await Store.WaitUntilFinishedAsync(second, 120);
        logs = await LogsAsync(second);
        task.Status.ShouldBe(AgentTaskStatus.Completed, $"{task.Error}\n{Describe(logs)}");
        fixture.Npm.Requests("fake-npm-agent").ShouldBe(asked);
        logs.ShouldNotContain(l => l.Message.StartsWith("Installing", StringComparison.Ordinal), Describe(logs));
        logs.ShouldContain(l => l.Message == "installed agent at work");
    }

    [Fact]
    public async Task a_package_the_registry_does_not_have_fails_the_task_with_npms_error_and_leaves_nothing_behind()
    {
        var taskId = await StartAsync(CliInstallsHostFixture.MissingAgent.Name);

        var task = await Store.WaitUntilFinishedAsync(taskId, 120);
        var logs = await LogsAsync(taskId);
        task.Status.ShouldBe(AgentTaskStatus.Failed, Describe(logs));
        var error = task.Error.ShouldNotBeNull();
        // npm's own words (npm 11: "npm error code E404 … 'no-such-agent@9.9.9' could not be found"), its warnings left out.
        error.ShouldStartWith("Installing no-such-agent@9.9.9 failed: npm ");
        error.ShouldContain("code E404");
        error.ShouldContain("GET " + fixture.Npm.Url + "no-such-agent");
        error.ShouldContain("'no-such-agent@9.9.9'");
        error.ShouldNotContain("npm warn", Case.Insensitive);
        task.ExitCode.ShouldBeNull();
        fixture.Npm.Requests("no-such-agent").ShouldBeGreaterThan(0);

        // The installer's own lines are in the log, then the end; the agent never started.
        SequenceOf(logs, m => m.StartsWith("npm error 404", StringComparison.Ordinal))
            .ShouldBeLessThan(SequenceOf(logs, m => m.StartsWith("Task ended failed: Installing no-such-agent@9.9.9 failed", StringComparison.Ordinal)));
        logs.ShouldNotContain(l => l.Message.StartsWith("agent started", StringComparison.Ordinal));
        Directory.Exists(Path.Combine(fixture.CliCache, "no-such-agent@9.9.9")).ShouldBeFalse();
        ShouldHaveNoUnfinishedInstall();
    }

    [Fact]
    public async Task two_tasks_that_need_the_same_cli_at_once_install_it_once()
    {
        fixture.Npm.TarballDelay = TimeSpan.FromSeconds(3);
        try
        {
            var first = await StartAsync(CliInstallsHostFixture.ScopedAgent.Name);
            var second = await StartAsync(CliInstallsHostFixture.ScopedAgent.Name);

            foreach (var taskId in new[] { first, second })
            {
                var task = await Store.WaitUntilFinishedAsync(taskId, 120);
                task.Status.ShouldBe(AgentTaskStatus.Completed, $"{task.Error}\n{Describe(await LogsAsync(taskId))}");
                task.Commits.ShouldContain(c => c.Message == "Add notes from the installed agent");
            }
            fixture.Npm.Downloads("@catalyst-test/slow-agent").ShouldBe(1);
            var logs = (await LogsAsync(first)).Concat(await LogsAsync(second)).ToArray();
            logs.Count(l => l.Message == "Installing @catalyst-test/slow-agent 1.0.0 (first use) …").ShouldBe(1, Describe(logs));
            logs.ShouldContain(l => l.Message == "Waiting for another task's install of @catalyst-test/slow-agent 1.0.0 …", Describe(logs));
            logs.ShouldContain(l => l.Message == "Using @catalyst-test/slow-agent 1.0.0, installed by another task.", Describe(logs));
            File.Exists(Path.Combine(fixture.CliCache, "@catalyst-test", "slow-agent@1.0.0", AgentCliCache.StampFile)).ShouldBeTrue();
            ShouldHaveNoUnfinishedInstall();
        }
        finally
        {
            fixture.Npm.TarballDelay = TimeSpan.Zero;
        }
    }

    [Fact]
    public async Task a_task_cancelled_while_its_cli_installs_ends_cancelled_and_leaves_nothing_half_installed()
    {
        fixture.Npm.TarballDelay = TimeSpan.FromSeconds(60);
        try
        {
            var taskId = await StartAsync(CliInstallsHostFixture.StuckAgent.Name);
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (fixture.Npm.Downloads("stuck-agent") == 0 && DateTime.UtcNow < deadline) await Task.Delay(50);
            fixture.Npm.Downloads("stuck-agent").ShouldBe(1);
            Directory.Exists(Path.Combine(fixture.CliCache, "stuck-agent@1.0.0.partial")).ShouldBeTrue();

            var cancel = await _client!.PostFormAsync($"/projects/app/agents/{taskId}?handler=Cancel", new(), formPage: $"/projects/app/agents/{taskId}");
            cancel.StatusCode.ShouldBe(HttpStatusCode.Redirect);

            var task = await Store.WaitUntilFinishedAsync(taskId, 30);
            var logs = await LogsAsync(taskId);
            task.Status.ShouldBe(AgentTaskStatus.Cancelled, $"{task.Error}\n{Describe(logs)}");
            logs.ShouldNotContain(l => l.Message.StartsWith("agent started", StringComparison.Ordinal));
            Directory.Exists(Path.Combine(fixture.CliCache, "stuck-agent@1.0.0")).ShouldBeFalse();
            ShouldHaveNoUnfinishedInstall();
        }
        finally
        {
            fixture.Npm.TarballDelay = TimeSpan.Zero;
        }
    }

    [Fact]
    public async Task installing_does_not_count_against_the_projects_time_limit()
    {
        fixture.Npm.TarballDelay = TimeSpan.FromSeconds(7);
        try
        {
            var taskId = await StartAsync(CliInstallsHostFixture.LateAgent.Name, timeoutSeconds: 5);

            var task = await Store.WaitUntilFinishedAsync(taskId, 120);
            task.Status.ShouldBe(AgentTaskStatus.Completed, $"{task.Error}\n{Describe(await LogsAsync(taskId))}");
            task.Commits.ShouldContain(c => c.Message == "Add notes from the installed agent");
        }
        finally
        {
            fixture.Npm.TarballDelay = TimeSpan.Zero;
        }
    }

    [Fact]
    public async Task a_python_cli_is_installed_into_a_venv_of_its_own()
    {
        Assert.SkipUnless(PythonVenvWorks(), "python3 with its venv module is not on the agents' PATH (apt-get install python3-venv).");

        var taskId = await StartAsync(CliInstallsHostFixture.PipAgent.Name);

        var task = await Store.WaitUntilFinishedAsync(taskId, 180);
        var logs = await LogsAsync(taskId);
        task.Status.ShouldBe(AgentTaskStatus.Completed, $"{task.Error}\n{Describe(logs)}");
        task.Commits.ShouldContain(c => c.Message == "Add notes from the installed agent");
        SequenceOf(logs, m => m == "Installing fake-pip-agent 1.0.0 (first use) …")
            .ShouldBeLessThan(SequenceOf(logs, m => m.StartsWith("Successfully installed fake-pip-agent-1.0.0", StringComparison.Ordinal)));
        SequenceOf(logs, m => m.StartsWith("Installed fake-pip-agent 1.0.0 in ", StringComparison.Ordinal))
            .ShouldBeLessThan(SequenceOf(logs, m => m == "installed agent at work"));
        fixture.PyPI.Downloads("fake-pip-agent").ShouldBe(1);

        var directory = Path.Combine(fixture.CliCache, "fake-pip-agent@1.0.0");
        File.Exists(Path.Combine(directory, AgentCliCache.StampFile)).ShouldBeTrue();
        File.Exists(Path.Combine(directory, "venv", "bin", "fake-pip-agent")).ShouldBeTrue();
        File.Exists(Path.Combine(directory, "bin", "fake-pip-agent")).ShouldBeTrue();
    }

    /// <summary>What the installer runs: python3 from the agents' PATH, able to make a venv with pip in it.</summary>
    private static bool PythonVenvWorks()
    {
        var python = LocalWorkspaceOptions.SafePath.Split(':').Select(d => Path.Combine(d, "python3")).FirstOrDefault(File.Exists);
        if (python is null) return false;
        using var check = Process.Start(new ProcessStartInfo(python, ["-c", "import venv, ensurepip"]) { RedirectStandardError = true })!;
        check.WaitForExit();
        return check.ExitCode == 0;
    }
}
