using Catalyst.Contracts;
using Catalyst.Operator.Workspaces;

namespace Catalyst.Tests.Workspaces.Launch;

/// <summary>The runner's lines, from whatever source, become the messages every backend publishes, and the end is decided the same way.</summary>
public sealed class the_runner_protocol_turns_lines_into_messages
{
    private static readonly Guid TaskId = Guid.NewGuid();
    private const string Token = "catalyst-task-token-0123456789";
    private static readonly DateTimeOffset At = new(2026, 11, 29, 23, 0, 0, TimeSpan.Zero);

    private static RunnerProtocol Protocol() => new(TaskId, Token);

    [Fact]
    public void progress_hook_and_agent_lines_keep_their_streams_and_agent_started_comes_once()
    {
        var protocol = Protocol();
        protocol.Read("::catalyst:: cloning x at main", OutputStream.Stdout, At).Output.ShouldBe(new OutputLine(At, OutputStream.System, "cloning x at main"));
        protocol.Read("::catalyst-hook:: npm ci: ok", OutputStream.Stdout, At).Output.ShouldBe(new OutputLine(At, OutputStream.Hook, "npm ci: ok"));
        protocol.Read("::catalyst-warning:: repository cache broken", OutputStream.Stdout, At).Output.ShouldBe(new OutputLine(At, OutputStream.SystemWarning, "repository cache broken"));

        var started = protocol.Read("::catalyst:: agent started", OutputStream.Stdout, At);
        started.Started.ShouldBe(new AgentStarted(TaskId, At));
        protocol.AgentHasStarted.ShouldBeTrue();
        protocol.Read("::catalyst:: agent started", OutputStream.Stdout, At).Started.ShouldBeNull();

        protocol.Read("hello", OutputStream.Stdout, At).Output.ShouldBe(new OutputLine(At, OutputStream.Stdout, "hello"));
        // Only stdout carries the runner's own lines: the same text on stderr is the agent's.
        protocol.Read("::catalyst:: not mine", OutputStream.Stderr, At).Output.ShouldBe(new OutputLine(At, OutputStream.Stderr, "::catalyst:: not mine"));
        protocol.Read("::catalyst:: agent exited with code 0", OutputStream.Stdout, At).AgentExited.ShouldBeTrue();
    }

    [Fact]
    public void the_task_token_never_comes_out()
    {
        var protocol = Protocol();
        protocol.Read($"key={Token}", OutputStream.Stdout, At).Output!.Text.ShouldBe("key=[REDACTED]");
        protocol.Read($"::catalyst:: using {Token}", OutputStream.Stdout, At).Output!.Text.ShouldBe("using [REDACTED]");
        protocol.Read($"oops {Token}", OutputStream.Stderr, At);
        protocol.System($"install saw {Token}", At).Text.ShouldBe("install saw [REDACTED]");
        protocol.Read($$"""::catalyst-result:: {"branch":"b","commits":[{"sha":"1","message":"add {{Token}}","filesChanged":1,"insertions":1,"deletions":0}],"pushed":false,"pushError":"denied {{Token}}"}""",
            OutputStream.Stdout, At).ShouldBe(RunnerLine.Nothing);

        var exited = protocol.Conclude(1, At);
        exited.Error.ShouldBe("The runner failed before the agent started (exit code 1):\noops [REDACTED]");
        exited.Result!.Commits.Single().Message.ShouldBe("add [REDACTED]");
        exited.Result.PushError.ShouldBe("denied [REDACTED]");
    }

    [Fact]
    public void the_end_is_out_of_memory_then_the_stop_then_a_pre_hook_then_the_exit_code()
    {
        var protocol = Protocol();
        protocol.Read("::catalyst:: agent started", OutputStream.Stdout, At);
        protocol.Read("""::catalyst-result:: {"branch":"catalyst/1","baseSha":"abc","commits":[],"pushed":true,"preHookFailure":{"number":2,"command":"make","exitCode":3,"output":"no rule"}}""", OutputStream.Stdout, At);

        protocol.Conclude(137, At, (WorkspaceEnd.Cancelled, "stop"), "Out of memory").ShouldBe(new WorkspaceExited(TaskId, WorkspaceEnd.Failed, 137, "Out of memory", protocol.Result(), At), new ExitedComparer());
        protocol.Conclude(143, At, (WorkspaceEnd.TimedOut, "too slow")).End.ShouldBe(WorkspaceEnd.TimedOut);
        var preHook = protocol.Conclude(2, At);
        preHook.End.ShouldBe(WorkspaceEnd.Failed);
        preHook.Error.ShouldBe("Pre-hook 2 (`make`) failed with exit code 3:\nno rule");
        preHook.Result!.BaseSha.ShouldBe("abc");
    }

    [Fact]
    public void a_clean_exit_is_exited_and_a_failure_says_the_last_stderr_lines()
    {
        var clean = Protocol();
        clean.Conclude(0, At).ShouldBe(new WorkspaceExited(TaskId, WorkspaceEnd.Exited, 0, null, null, At));

        var failing = Protocol();
        failing.Read("::catalyst:: agent started", OutputStream.Stdout, At);
        for (var i = 1; i <= 25; i++) failing.Read($"line {i}", OutputStream.Stderr, At);
        failing.Read("::catalyst-result:: not json", OutputStream.Stdout, At);
        var exited = failing.Conclude(1, At);
        exited.Error.ShouldBe(string.Join('\n', Enumerable.Range(6, 20).Select(i => $"line {i}")));
        exited.Result.ShouldBeNull();
        Protocol().Conclude(4, At).Error.ShouldBe("The runner failed before the agent started (exit code 4).");
        var silent = Protocol();
        silent.Read("::catalyst:: agent started", OutputStream.Stdout, At);
        silent.Conclude(5, At).Error.ShouldBe("The agent exited with code 5 and printed nothing on stderr.");
    }

    private sealed class ExitedComparer : IEqualityComparer<WorkspaceExited>
    {
        public bool Equals(WorkspaceExited? x, WorkspaceExited? y) =>
            x is not null && y is not null && x.TaskId == y.TaskId && x.End == y.End && x.ExitCode == y.ExitCode && x.Error == y.Error && x.At == y.At;

        public int GetHashCode(WorkspaceExited obj) => obj.TaskId.GetHashCode();
    }
}
