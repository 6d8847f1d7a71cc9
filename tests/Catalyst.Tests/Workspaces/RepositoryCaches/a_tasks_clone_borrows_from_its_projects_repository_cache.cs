using Catalyst.Contracts;
using Catalyst.Operator;
using Catalyst.Operator.Workspaces;

namespace Catalyst.Tests.Workspaces.RepositoryCaches;

/// <summary>
/// A project's tasks clone from its repository cache (a bare mirror fetched before each task), borrowing its objects;
/// the work branch still starts at the origin's latest base and is pushed to the origin.
/// </summary>
public sealed class a_tasks_clone_borrows_from_its_projects_repository_cache : IDisposable
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();

    public void Dispose() => _sandbox.Dispose();

    private string CacheDirectory => Path.Combine(_sandbox.Root, "repositories");
    private string Cache => RepositoryCache.PathFor(CacheDirectory, _sandbox.Origin);

    private LocalWorkspaceOptions Options() => _sandbox.Options() with { RepositoryCacheDirectory = CacheDirectory };

    private async Task<(WorkspaceExited Exited, PublishedEvents Events, string Branch)> Run(string agentScript, LocalWorkspaceOptions? options = null)
    {
        var taskId = Guid.NewGuid();
        var spec = _sandbox.Spec(taskId, _sandbox.Agent(agentScript));
        var events = new PublishedEvents();
        var exited = await new LocalWorkspaceRunner(spec, WorkspaceSandbox.Credential(), options ?? Options(), events.Publish).RunAsync().WaitAsync(TimeSpan.FromSeconds(90));
        exited.End.ShouldBe(WorkspaceEnd.Exited, exited.Error);
        return (exited, events, spec.WorkBranch);
    }

    /// <summary>Pushes a commit onto the origin's main from a scratch clone; returns its sha.</summary>
    private string MoveOrigin(string file, bool rewrite = false)
    {
        var scratch = Path.Combine(_sandbox.Root, $"scratch-{Guid.NewGuid():N}");
        _sandbox.Git(_sandbox.Root, "clone", "--quiet", _sandbox.Origin, scratch);
        if (rewrite)
        {
            _sandbox.Git(scratch, "checkout", "--quiet", "--orphan", "rewritten");
            _sandbox.Git(scratch, "rm", "--quiet", "-rf", ".");
        }
        File.WriteAllText(Path.Combine(scratch, file), file + "\n");
        _sandbox.Git(scratch, "add", "-A");
        _sandbox.Git(scratch, "-c", "user.name=Origin", "-c", "user.email=o@example.com", "commit", "--quiet", "-m", $"Add {file}");
        _sandbox.Git(scratch, "push", "--quiet", "--force", "origin", "HEAD:refs/heads/main");
        return _sandbox.Git(scratch, "rev-parse", "HEAD");
    }

    private const string CommitAFile = """
        echo "alternates: $(cat .git/objects/info/alternates 2>/dev/null)"
        ls
        date +%s%N > "work-$RANDOM.txt"
        git add -A && git commit --quiet -m 'Agent work'
        """;

    [Fact]
    public async Task the_work_branch_starts_at_the_origins_latest_base_after_the_origin_moved()
    {
        var first = await Run(CommitAFile);
        first.Events.Text(OutputStream.System).ShouldContain(l => l.StartsWith("creating the repository cache", StringComparison.Ordinal));
        Directory.Exists(Path.Combine(Cache, "objects", "pack")).ShouldBeTrue();

        var moved = MoveOrigin("after.txt");
        var second = await Run(CommitAFile);

        second.Exited.Result!.BaseSha.ShouldBe(moved);
        second.Events.Text(OutputStream.Stdout).ShouldContain("after.txt");
        second.Events.Text(OutputStream.Stdout).ShouldContain($"alternates: {Path.Combine(Cache, "objects")}");
        second.Events.Text(OutputStream.System).ShouldContain(l => l.StartsWith("cloned", StringComparison.Ordinal) && l.EndsWith("from the repository cache", StringComparison.Ordinal));
        second.Events.Text(OutputStream.System).ShouldNotContain(l => l.StartsWith("creating the repository cache", StringComparison.Ordinal));
        // Pushed to the origin; the cache has what the origin had before (the first task's branch), never this task's branch or commit.
        var pushed = _sandbox.OriginBranch(second.Branch).ShouldNotBeNull();
        second.Exited.Result.Commits.Single().Sha.ShouldBe(pushed);
        _sandbox.Git(_sandbox.Root, "--git-dir", Cache, "for-each-ref", "--format=%(refname)").Split('\n').ShouldBe([$"refs/heads/{first.Branch}", "refs/heads/main"], ignoreOrder: true);
        Should.Throw<InvalidOperationException>(() => _sandbox.Git(_sandbox.Root, "--git-dir", Cache, "cat-file", "-e", pushed));
    }

    [Fact]
    public async Task the_agent_finds_its_work_branch_checked_out_the_base_branch_beside_it_its_identity_and_no_remote()
    {
        var run = await Run("""
            echo "head: $(git symbolic-ref HEAD)"
            echo "branches: $(git for-each-ref --format='%(refname)' refs/heads | tr '\n' ' ')"
            echo "remotes: [$(git remote)]"
            echo "status: [$(git status --porcelain)]"
            echo "who: $(git config user.name) <$(git config user.email)>"
            """);
        var said = run.Events.Text(OutputStream.Stdout);
        said.ShouldContain($"head: refs/heads/{run.Branch}");
        said.ShouldContain($"branches: refs/heads/{run.Branch} refs/heads/main ");
        said.ShouldContain("remotes: []");
        said.ShouldContain("status: []");
        said.ShouldContain("who: Catalyst Agent <agent@catalyst.local>");
        run.Exited.Result!.BaseSha.ShouldBe(_sandbox.Git(_sandbox.Root, "--git-dir", _sandbox.Origin, "rev-parse", "refs/heads/main"));
    }

    [Fact]
    public async Task a_force_pushed_base_is_fetched_as_it_now_is()
    {
        await Run(CommitAFile);
        var rewritten = MoveOrigin("rewritten.txt", rewrite: true);

        var after = await Run(CommitAFile);

        after.Exited.Result!.BaseSha.ShouldBe(rewritten);
        after.Events.Text(OutputStream.Stdout).ShouldContain("rewritten.txt");
        after.Events.Text(OutputStream.Stdout).ShouldNotContain("README.md");
        _sandbox.Git(_sandbox.Root, "--git-dir", Cache, "rev-parse", "refs/heads/main").ShouldBe(rewritten);
    }

    [Fact]
    public async Task two_tasks_at_once_each_get_their_own_clone_and_never_see_each_others_files()
    {
        var agent = """
            echo "$CATALYST_TASK_ID" > "mine-$CATALYST_TASK_ID.txt"
            git add -A && git commit --quiet -m "Task $CATALYST_TASK_ID"
            sleep 1
            echo "seen: $(ls mine-*.txt | wc -l)"
            """;
        var runs = await Task.WhenAll(Run(agent), Run(agent));

        foreach (var run in runs)
        {
            run.Events.Text(OutputStream.Stdout).ShouldContain("seen: 1");
            run.Exited.Result!.Commits.Count.ShouldBe(1);
            _sandbox.OriginBranch(run.Branch).ShouldBe(run.Exited.Result.Commits[0].Sha);
        }
        runs[0].Exited.Result!.Commits[0].Sha.ShouldNotBe(runs[1].Exited.Result!.Commits[0].Sha);
    }

    [Fact]
    public async Task the_cache_outlives_the_host_that_made_it()
    {
        await Run(CommitAFile);
        // Another Host's options over the same data directory: nothing in memory is shared.
        var restarted = Options() with { };
        var again = await Run(CommitAFile, restarted);

        again.Events.Text(OutputStream.System).ShouldNotContain(l => l.StartsWith("creating the repository cache", StringComparison.Ordinal));
        again.Events.Text(OutputStream.System).ShouldContain(l => l.EndsWith("from the repository cache", StringComparison.Ordinal));
    }

    [Fact]
    public async Task a_broken_cache_falls_back_to_a_full_clone_and_says_so_on_the_task()
    {
        await Run(CommitAFile);
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Cache, "objects"), "*", SearchOption.AllDirectories))
        {
            File.SetAttributes(file, FileAttributes.Normal);
            File.WriteAllText(file, "not a git object");
        }

        var after = await Run(CommitAFile);

        after.Events.Text(OutputStream.SystemWarning).ShouldContain(l => l.StartsWith("repository cache", StringComparison.Ordinal));
        after.Events.Text(OutputStream.System).ShouldContain(l => l.StartsWith("cloning", StringComparison.Ordinal));
        after.Exited.Result!.PushError.ShouldBeNull();
        after.Exited.Result.Pushed.ShouldBeTrue();
        after.Events.Text(OutputStream.Stdout).ShouldContain("alternates: ");

        // The broken one was set aside: the next task makes a new cache and borrows from it again.
        var healed = await Run(CommitAFile);
        healed.Events.Text(OutputStream.SystemWarning).ShouldBeEmpty();
        healed.Events.Text(OutputStream.System).ShouldContain(l => l.EndsWith("from the repository cache", StringComparison.Ordinal));
    }

    [Fact]
    public async Task a_task_waits_for_the_caches_lock_only_so_long_then_clones_in_full()
    {
        await Run(CommitAFile);
        // Another fetch of the same cache that takes long: its lock is held.
        using var holder = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("flock", [$"{Cache}.lock", "sleep", "30"]))!;
        try
        {
            await Task.Delay(300);
            var waited = await Run(CommitAFile, Options() with { RepositoryCacheWait = TimeSpan.FromSeconds(1) });

            waited.Events.Text(OutputStream.SystemWarning).ShouldContain("repository cache busy for 1s; cloning in full");
            waited.Exited.Result!.Pushed.ShouldBeTrue();
        }
        finally
        {
            holder.Kill();
        }
    }

    [Fact]
    public async Task a_missing_cache_directory_that_cannot_be_made_falls_back()
    {
        var blocked = Path.Combine(_sandbox.Root, "not-a-directory");
        File.WriteAllText(blocked, "");
        var options = _sandbox.Options() with { RepositoryCacheDirectory = Path.Combine(blocked, "repositories") };
        var taskId = Guid.NewGuid();
        var events = new PublishedEvents();

        var exited = await new LocalWorkspaceRunner(_sandbox.Spec(taskId, _sandbox.Agent("echo hi")), WorkspaceSandbox.Credential(), options, events.Publish)
            .RunAsync().WaitAsync(TimeSpan.FromSeconds(60));

        // The Host could not prepare the cache's place: the task still ran, with a full clone.
        exited.End.ShouldBe(WorkspaceEnd.Exited, exited.Error);
        events.Text(OutputStream.Stdout).ShouldContain("hi");
        events.Text(OutputStream.SystemWarning).ShouldContain(l => l.StartsWith("repository cache unusable", StringComparison.Ordinal));
    }
}
