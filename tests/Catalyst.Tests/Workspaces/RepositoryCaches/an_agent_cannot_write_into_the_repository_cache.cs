using Catalyst.Contracts;
using Catalyst.Operator;
using Catalyst.Operator.Workspaces;

namespace Catalyst.Tests.Workspaces.RepositoryCaches;

/// <summary>The sandbox shows the cache's objects read-only: an agent that tries to plant something in them for the next task fails.</summary>
public sealed class an_agent_cannot_write_into_the_repository_cache : IDisposable
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();

    public void Dispose() => _sandbox.Dispose();

    private static string Listing(string directory) => string.Join('\n',
        Directory.EnumerateFileSystemEntries(directory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(p => $"{p} {(File.Exists(p) ? new FileInfo(p).Length + " " + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(p))) : "dir")}"));

    [Fact]
    public async Task writes_into_the_borrowed_objects_fail_and_the_cache_is_unchanged()
    {
        var cacheDirectory = Path.Combine(_sandbox.Root, "repositories");
        var cache = RepositoryCache.PathFor(cacheDirectory, _sandbox.Origin);
        var options = _sandbox.Options() with { RepositoryCacheDirectory = cacheDirectory };
        var warmUp = await new LocalWorkspaceRunner(_sandbox.Spec(Guid.NewGuid(), _sandbox.Agent("true")), WorkspaceSandbox.Credential(), options, new PublishedEvents().Publish).RunAsync();
        warmUp.End.ShouldBe(WorkspaceEnd.Exited, warmUp.Error);
        var before = Listing(cache);

        var attacker = _sandbox.Agent("""
            objects=$(cat .git/objects/info/alternates)
            echo "borrowing from: $objects"
            try() { if "$@" 2>/dev/null; then echo "WROTE: $*"; else echo "refused: $1"; fi; }
            try touch "$objects/planted"
            try mkdir "$objects/ff"
            try cp .git/HEAD "$objects/info/alternates"
            for object in $(find "$objects" -type f | head -n 3); do try truncate -s 0 "$object"; try chmod 666 "$object"; try rm "$object"; done
            try git --git-dir="$objects/.." update-ref refs/heads/main HEAD
            try git --git-dir="$objects/.." config core.hooksPath /tmp
            # The clone's own objects take what it writes; a repack into the borrowed store must fail too.
            echo evil > evil.txt && git add evil.txt && git commit --quiet -m evil
            try git --git-dir="$objects/.." fetch --quiet "$PWD" HEAD:refs/heads/evil
            echo "done"
            """);
        var events = new PublishedEvents();
        var exited = await new LocalWorkspaceRunner(_sandbox.Spec(Guid.NewGuid(), attacker), WorkspaceSandbox.Credential(), options, events.Publish)
            .RunAsync().WaitAsync(TimeSpan.FromSeconds(90));

        exited.End.ShouldBe(WorkspaceEnd.Exited, exited.Error);
        var stdout = events.Text(OutputStream.Stdout).ToArray();
        stdout.ShouldContain($"borrowing from: {Path.Combine(cache, "objects")}");
        stdout.ShouldContain("done");
        stdout.Where(l => l.StartsWith("WROTE", StringComparison.Ordinal)).ShouldBeEmpty();
        stdout.Count(l => l.StartsWith("refused", StringComparison.Ordinal)).ShouldBeGreaterThanOrEqualTo(9);
        Listing(cache).ShouldBe(before);
        // The agent's own commit still reached the origin, from its own objects.
        _sandbox.OriginBranch(exited.Result!.Branch).ShouldBe(exited.Result.Commits.Single().Sha);
    }
}
