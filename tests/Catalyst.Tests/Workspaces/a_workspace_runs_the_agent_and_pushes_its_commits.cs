using Catalyst.Contracts;
using Catalyst.Operator;

namespace Catalyst.Tests.Workspaces;

public sealed class a_workspace_runs_the_agent_and_pushes_its_commits : IDisposable
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public async Task commits_are_captured_with_their_stats_and_the_work_branch_is_pushed()
    {
        var agent = _sandbox.Agent("""
            echo "prompt: $1"
            echo "cwd: $PWD"
            echo "config: $(cat "$TEST_AGENT_CONFIG")"
            echo "working on it" >&2
            printf 'one\nTWO\nthree\nfour\n' > README.md
            git commit --quiet -am 'Fix the README'
            printf 'a\nb\n' > notes.txt
            git add notes.txt
            git commit --quiet -m 'Add notes with "quotes" and a \ backslash'
            echo more >> notes.txt
            git commit --quiet -am "$(printf 'Tab\there, accents \xc3\xa9\xe2\x9c\x93, bell \a')"
            echo done
            """);
        var taskId = Guid.NewGuid();
        var spec = _sandbox.Spec(taskId, agent, context: "Issue #7: the README is wrong.");
        var events = new PublishedEvents();
        var runner = new LocalWorkspaceRunner(spec, WorkspaceSandbox.Credential(), _sandbox.Options(), events.Publish);

        var exited = await runner.RunAsync().WaitAsync(TimeSpan.FromSeconds(60));

        exited.End.ShouldBe(WorkspaceEnd.Exited, exited.Error);
        exited.ExitCode.ShouldBe(0);
        exited.Error.ShouldBeNull();
        var result = exited.Result.ShouldNotBeNull();
        result.Branch.ShouldBe(spec.WorkBranch);
        result.BaseSha.ShouldBe(_sandbox.Git(_sandbox.Root, "--git-dir", _sandbox.Origin, "rev-parse", "main"));
        result.Pushed.ShouldBeTrue();
        result.PushError.ShouldBeNull();
        result.Commits.Select(c => c.Message).ShouldBe(["Fix the README", "Add notes with \"quotes\" and a \\ backslash", "Tab\there, accents é✓, bell \a"]);
        result.Commits[0].ShouldBe(result.Commits[0] with { FilesChanged = 1, Insertions = 2, Deletions = 3 });
        result.Commits[1].ShouldBe(result.Commits[1] with { FilesChanged = 1, Insertions = 2, Deletions = 0 });

        // The work branch is in the origin, at the last commit.
        _sandbox.OriginBranch(spec.WorkBranch).ShouldBe(result.Commits[^1].Sha);

        // The agent got the instructions and context as one argument, ran in the clone, with the provider's home files.
        var stdout = events.Text(OutputStream.Stdout).ToArray();
        stdout[0].ShouldBe("prompt: Fix the \"README\"");
        stdout[1].ShouldBe("and say what you did.");
        stdout[3].ShouldBe("Issue #7: the README is wrong.");
        stdout.ShouldContain($"cwd: {runner.RepositoryDirectory}");
        stdout.ShouldContain($"config: {{\"model\":\"credential-model\",\"baseUrl\":\"http://127.0.0.1:8400/v1\",\"repo\":\"{runner.RepositoryDirectory}\"}}");
        stdout[^1].ShouldBe("done");
        events.Text(OutputStream.Stderr).ShouldContain("working on it");
        events.Lines.ShouldNotContain(l => l.Text.Contains("catalyst-result"));

        // Progress lines are system lines; the events come in order.
        var system = events.Text(OutputStream.System).ToArray();
        system.ShouldContain(s => s.StartsWith("cloning "));
        system.ShouldContain(s => s.StartsWith("agent started"));
        system.ShouldContain($"pushed {spec.WorkBranch}");
        var all = events.All;
        all[0].ShouldBeOfType<WorkspaceProvisioned>().Location.ShouldBe(runner.Directory);
        all[^1].ShouldBe(exited);
        var started = all.ToList().FindIndex(e => e is AgentStarted);
        started.ShouldBeGreaterThan(0);
        var firstAgentLine = all.ToList().FindIndex(e => e is AgentOutput o && o.Lines.Any(l => l.Stream == OutputStream.Stdout));
        firstAgentLine.ShouldBeGreaterThan(started);

        // The workspace is gone once the task ended.
        Directory.Exists(runner.Directory).ShouldBeFalse();
    }

    [Fact]
    public async Task changes_the_agent_left_uncommitted_are_committed_by_the_runner()
    {
        var agent = _sandbox.Agent("""
            echo "draft" > draft.txt
            echo "four" >> README.md
            """);
        var spec = _sandbox.Spec(Guid.NewGuid(), agent);
        var runner = new LocalWorkspaceRunner(spec, WorkspaceSandbox.Credential(), _sandbox.Options(keep: true), new PublishedEvents().Publish);

        var exited = await runner.RunAsync().WaitAsync(TimeSpan.FromSeconds(60));

        exited.End.ShouldBe(WorkspaceEnd.Exited, exited.Error);
        var commit = exited.Result.ShouldNotBeNull().Commits.ShouldHaveSingleItem();
        commit.Message.ShouldBe("Catalyst: uncommitted changes left by the agent");
        commit.FilesChanged.ShouldBe(2);
        commit.Insertions.ShouldBe(2);
        _sandbox.OriginBranch(spec.WorkBranch).ShouldBe(commit.Sha);
        _sandbox.Git(_sandbox.Root, "--git-dir", _sandbox.Origin, "log", "-1", "--format=%an <%ae>", spec.WorkBranch).ShouldBe("Catalyst Agent <agent@catalyst.local>");
        _sandbox.Git(runner.RepositoryDirectory, "status", "--porcelain").ShouldBeEmpty();
        // Kept when configured so.
        Directory.Exists(runner.Directory).ShouldBeTrue();
    }

    [Fact]
    public async Task an_agent_that_changes_nothing_pushes_nothing()
    {
        var spec = _sandbox.Spec(Guid.NewGuid(), _sandbox.Agent("echo 'nothing to do'"));
        var exited = await new LocalWorkspaceRunner(spec, WorkspaceSandbox.Credential(), _sandbox.Options(), new PublishedEvents().Publish).RunAsync();

        exited.End.ShouldBe(WorkspaceEnd.Exited);
        var result = exited.Result.ShouldNotBeNull();
        result.Commits.ShouldBeEmpty();
        result.Pushed.ShouldBeFalse();
        result.PushError.ShouldBeNull();
        _sandbox.OriginBranch(spec.WorkBranch).ShouldBeNull();
    }
}
