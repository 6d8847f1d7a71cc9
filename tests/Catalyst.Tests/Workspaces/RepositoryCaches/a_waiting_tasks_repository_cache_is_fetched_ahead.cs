using Catalyst.Contracts;
using Catalyst.Operator;
using Catalyst.Operator.Local;
using Catalyst.Operator.Workspaces;
using Microsoft.Extensions.Logging.Abstractions;

namespace Catalyst.Tests.Workspaces.RepositoryCaches;

/// <summary>
/// A task waiting for a slot gets its project's repository cache fetched while it waits (the runner's own script, under the
/// cache's lock), so its runner's fetch finds nothing left to bring; what happened is said on the task, never a password.
/// </summary>
public sealed class a_waiting_tasks_repository_cache_is_fetched_ahead : IDisposable
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();

    public void Dispose() => _sandbox.Dispose();

    private string CacheDirectory => Path.Combine(_sandbox.Root, "repositories");

    private RepositoryCacheWarmer Warmer() =>
        new(_sandbox.Options() with { RepositoryCacheDirectory = CacheDirectory }, NullLogger<RepositoryCacheWarmer>.Instance, TimeProvider.System);

    private static async Task<IReadOnlyList<string>> Prepare(RepositoryCacheWarmer warmer, string repositoryUrl)
    {
        var said = new List<AgentOutput>();
        var taskId = Guid.NewGuid();
        warmer.Prepare(new PrepareWorkspace(taskId, repositoryUrl), output => { lock (said) said.Add(output); return Task.CompletedTask; }).ShouldBeTrue();
        await warmer.IdleAsync().WaitAsync(TimeSpan.FromSeconds(60));
        lock (said)
        {
            said.ShouldAllBe(o => o.TaskId == taskId);
            return said.SelectMany(o => o.Lines).Select(l => l.Text).ToList();
        }
    }

    [Fact]
    public async Task the_cache_holds_the_origins_latest_base_before_the_task_starts_and_the_task_clones_from_it()
    {
        using var warmer = Warmer();
        var said = await Prepare(warmer, _sandbox.Origin);

        var cache = RepositoryCache.PathFor(CacheDirectory, _sandbox.Origin);
        said.ShouldContain("While waiting for a slot: creating the repository cache");
        said.ShouldContain(l => l.StartsWith("While waiting for a slot: repository cache fetched in ", StringComparison.Ordinal));
        _sandbox.Git(_sandbox.Root, "--git-dir", cache, "rev-parse", "refs/heads/main")
            .ShouldBe(_sandbox.Git(_sandbox.Root, "--git-dir", _sandbox.Origin, "rev-parse", "refs/heads/main"));
        // Made readable for the sandbox's user, as the runner makes it.
        if (!OperatingSystem.IsWindows()) (File.GetUnixFileMode(Path.Combine(cache, "objects")) & UnixFileMode.OtherRead).ShouldBe(UnixFileMode.OtherRead);

        // Asked again at once (every pass of the queue asks): not fetched again.
        warmer.Prepare(new PrepareWorkspace(Guid.NewGuid(), _sandbox.Origin), _ => Task.CompletedTask).ShouldBeFalse();

        // The task then clones from the cache it found ready: no cache to create.
        var taskId = Guid.NewGuid();
        var events = new PublishedEvents();
        var exited = await new LocalWorkspaceRunner(_sandbox.Spec(taskId, _sandbox.Agent("ls")), WorkspaceSandbox.Credential(),
            _sandbox.Options() with { RepositoryCacheDirectory = CacheDirectory }, events.Publish).RunAsync().WaitAsync(TimeSpan.FromSeconds(90));
        exited.End.ShouldBe(WorkspaceEnd.Exited, exited.Error);
        events.Text(OutputStream.System).ShouldNotContain(l => l.StartsWith("creating the repository cache", StringComparison.Ordinal));
        events.Text(OutputStream.System).ShouldContain(l => l.EndsWith("from the repository cache", StringComparison.Ordinal));
    }

    [Fact]
    public async Task a_cache_whose_origin_does_not_answer_is_said_on_the_task_without_the_origins_password()
    {
        using var warmer = Warmer();
        // Nothing listens on port 1 of the loopback: the fetch fails at once.
        const string url = "http://catalyst:s3cret-origin-password@127.0.0.1:1/shop.git";
        var said = await Prepare(warmer, url);

        said.ShouldContain(l => l.StartsWith("While waiting for a slot: repository cache not updated (", StringComparison.Ordinal)
            && l.EndsWith("; the task fetches when it starts", StringComparison.Ordinal));
        said.ShouldNotContain(l => l.Contains("s3cret-origin-password"));
        var cache = RepositoryCache.PathFor(CacheDirectory, url);
        File.ReadAllText(Path.Combine(cache, "config")).ShouldNotContain("s3cret-origin-password");
    }

    [Fact]
    public void without_a_cache_directory_nothing_is_fetched()
    {
        using var warmer = new RepositoryCacheWarmer(_sandbox.Options() with { RepositoryCacheDirectory = null }, NullLogger<RepositoryCacheWarmer>.Instance, TimeProvider.System);
        warmer.Prepare(new PrepareWorkspace(Guid.NewGuid(), _sandbox.Origin), _ => Task.CompletedTask).ShouldBeFalse();
        Directory.Exists(CacheDirectory).ShouldBeFalse();
    }
}
