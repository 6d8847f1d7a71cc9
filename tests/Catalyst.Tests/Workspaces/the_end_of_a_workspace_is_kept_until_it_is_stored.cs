using Catalyst.Contracts;
using Catalyst.Operator;
using Catalyst.Operator.Workspaces;

namespace Catalyst.Tests.Workspaces;

/// <summary>
/// How a workspace ended (commits, branch, pushed or not) stays on disk until the Tasks module has stored it: while the Host
/// waits for its database the end can be read back, and the runner's own report in the task's directory says the same, so a
/// Host that stops in between still captures the pushed commits when it starts again.
/// </summary>
public sealed class the_end_of_a_workspace_is_kept_until_it_is_stored : IDisposable
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();

    public void Dispose() => _sandbox.Dispose();

    private string CommittingAgent(int exitCode = 0, string message = "Add a change") => _sandbox.Agent($"""
        echo change > CHANGE.md
        git add CHANGE.md
        git commit --quiet -m '{message}'
        echo done
        exit {exitCode}
        """);

    [Fact]
    public async Task while_the_end_waits_to_be_stored_it_can_be_read_back_and_once_stored_nothing_is_left()
    {
        var taskId = Guid.NewGuid();
        var spec = _sandbox.Spec(taskId, CommittingAgent());
        var options = _sandbox.Options();
        var events = new PublishedEvents();
        // The database is down: nothing the workspace publishes is stored until the test lets it through.
        var databaseBack = new TaskCompletionSource();
        async ValueTask Publish(object message)
        {
            await databaseBack.Task;
            await events.Publish(message);
        }
        var runner = new LocalWorkspaceRunner(spec, WorkspaceSandbox.Credential(), options, Publish);
        var run = runner.RunAsync();

        WorkspaceExited? kept = null;
        for (var i = 0; i < 600 && (kept = KeptWorkspaceExits.Read(options, taskId, DateTimeOffset.UtcNow)) is null; i++) await Task.Delay(100);
        kept.ShouldNotBeNull("the end of a workspace that exited can be read back while it waits for the database");
        kept.End.ShouldBe(WorkspaceEnd.Exited);
        kept.ExitCode.ShouldBe(0);
        var result = kept.Result.ShouldNotBeNull();
        result.Pushed.ShouldBeTrue();
        result.Branch.ShouldBe(spec.WorkBranch);
        result.Commits.ShouldHaveSingleItem().Message.ShouldBe("Add a change");
        _sandbox.OriginBranch(spec.WorkBranch).ShouldBe(result.Commits[0].Sha);
        events.All.ShouldBeEmpty();

        databaseBack.SetResult();
        var exited = await run.WaitAsync(TimeSpan.FromSeconds(60));
        events.All[^1].ShouldBe(exited);
        exited.Result!.Commits.Select(c => c.Sha).ShouldBe(result.Commits.Select(c => c.Sha));
        KeptWorkspaceExits.Read(options, taskId, DateTimeOffset.UtcNow).ShouldBeNull("once stored, the kept end is deleted");
        File.Exists(KeptWorkspaceExits.RecordPath(options, taskId)).ShouldBeFalse();
        Directory.Exists(runner.Directory).ShouldBeFalse();
    }

    [Fact]
    public async Task the_runners_own_report_in_the_workspace_says_how_it_ended()
    {
        var taskId = Guid.NewGuid();
        var spec = _sandbox.Spec(taskId, CommittingAgent(exitCode: 3, message: "Use cat_task_AbC123-_xyz here"));
        // Kept: the directory stays as a Host that stopped before it read the runner's output would find it.
        var options = _sandbox.Options(keep: true);
        var events = new PublishedEvents();
        var runner = new LocalWorkspaceRunner(spec, WorkspaceSandbox.Credential(), options, events.Publish);
        var exited = await runner.RunAsync().WaitAsync(TimeSpan.FromSeconds(60));
        exited.ExitCode.ShouldBe(3);
        File.Exists(KeptWorkspaceExits.RecordPath(options, taskId)).ShouldBeFalse("the Host's record went once the end was stored");

        var report = KeptWorkspaceExits.RunnerReportPath(runner.Directory);
        File.Exists(report).ShouldBeTrue();
        report.ShouldNotStartWith(runner.RepositoryDirectory, Case.Sensitive, "the report is outside the clone");
        var read = KeptWorkspaceExits.Read(options, taskId, DateTimeOffset.UtcNow).ShouldNotBeNull();
        read.End.ShouldBe(WorkspaceEnd.Failed);
        read.ExitCode.ShouldBe(3);
        var result = read.Result.ShouldNotBeNull();
        result.Pushed.ShouldBeTrue();
        result.Branch.ShouldBe(spec.WorkBranch);
        result.Commits.Select(c => c.Sha).ShouldBe(exited.Result!.Commits.Select(c => c.Sha));
        // The task token is not known after a restart: whatever looks like one is redacted.
        result.Commits.ShouldHaveSingleItem().Message.ShouldBe("Use [REDACTED] here");
    }

    [Fact]
    public void a_kept_report_of_a_failed_pre_hook_or_one_that_is_not_valid_reads_as_such()
    {
        var taskId = Guid.NewGuid();
        var at = DateTimeOffset.UtcNow;
        var preHook = RunnerProtocol.FromKeptReport(taskId,
            """{"branch":"catalyst/1","baseSha":"abc","commits":[],"pushed":false,"pushError":null,"agentExitCode":2,"preHookFailure":{"number":1,"command":"make","exitCode":3,"output":"no rule"}}""", at);
        preHook.ShouldNotBeNull().End.ShouldBe(WorkspaceEnd.Failed);
        preHook.Error.ShouldBe("Pre-hook 1 (`make`) failed with exit code 3:\nno rule");
        RunnerProtocol.FromKeptReport(taskId, """{"branch":"catalyst/1","commits":[],"pushed":false,"agentExitCode":0}""", at)!.End.ShouldBe(WorkspaceEnd.Exited);
        RunnerProtocol.FromKeptReport(taskId, "{\"branch\":", at).ShouldBeNull();
    }
}
