using System.Text.Json;
using Catalyst.Contracts;

namespace Catalyst.Operator.Workspaces;

/// <summary>
/// Reads one runner's output, from any line source (a local process's pipes, a pod's log), into the messages a backend
/// publishes, and decides how the workspace ended. The task token never comes out of it. Safe for one stdout and one
/// stderr reader at once.
/// </summary>
public sealed partial class RunnerProtocol(Guid taskId, string token)
{
    public const string ProgressPrefix = "::catalyst:: ";
    public const string ResultPrefix = "::catalyst-result:: ";
    public const string HookPrefix = "::catalyst-hook:: ";
    public const string WarningPrefix = "::catalyst-warning:: ";
    private const int StderrTailLines = 20;
    private const int MaxHookOutputChars = 2000;
    private const string Redacted = "[REDACTED]";

    private readonly Queue<string> _stderrTail = new();
    private volatile bool _agentStarted;
    private volatile string? _resultLine;

    public Guid TaskId => taskId;

    /// <summary>The runner said the agent started.</summary>
    public bool AgentHasStarted => _agentStarted;

    /// <summary>
    /// One line the runner printed on <paramref name="stream"/> (Stdout or Stderr), read at <paramref name="at"/>. The result line
    /// is kept for <see cref="Conclude"/> and gives nothing to publish.
    /// </summary>
    public RunnerLine Read(string line, OutputStream stream, DateTimeOffset at)
    {
        if (stream == OutputStream.Stdout && line.StartsWith(ResultPrefix, StringComparison.Ordinal))
        {
            _resultLine = line[ResultPrefix.Length..];
            return RunnerLine.Nothing;
        }
        if (stream == OutputStream.Stdout && line.StartsWith(HookPrefix, StringComparison.Ordinal))
            return new RunnerLine(new OutputLine(at, OutputStream.Hook, Redact(line[HookPrefix.Length..])), null, false);
        if (stream == OutputStream.Stdout && line.StartsWith(WarningPrefix, StringComparison.Ordinal))
            return new RunnerLine(new OutputLine(at, OutputStream.SystemWarning, Redact(line[WarningPrefix.Length..])), null, false);
        if (stream == OutputStream.Stdout && line.StartsWith(ProgressPrefix, StringComparison.Ordinal))
        {
            var text = Redact(line[ProgressPrefix.Length..]);
            var output = new OutputLine(at, OutputStream.System, text);
            if (!_agentStarted && text.StartsWith("agent started", StringComparison.Ordinal))
            {
                _agentStarted = true;
                return new RunnerLine(output, new AgentStarted(taskId, at), false);
            }
            return new RunnerLine(output, null, text.StartsWith("agent exited with code", StringComparison.Ordinal));
        }
        var redacted = Redact(line);
        if (stream == OutputStream.Stderr)
            lock (_stderrTail)
            {
                _stderrTail.Enqueue(redacted);
                if (_stderrTail.Count > StderrTailLines) _stderrTail.Dequeue();
            }
        return new RunnerLine(new OutputLine(at, stream, redacted), null, false);
    }

    /// <summary>A line of the backend's own about this workspace (an install's progress, a refused connection), redacted like the runner's.</summary>
    public OutputLine System(string text, DateTimeOffset at, OutputStream stream = OutputStream.System) => new(at, stream, Redact(text));

    /// <summary>
    /// How the workspace ended once the runner exited with <paramref name="exitCode"/>: out of memory (the backend says so),
    /// else the stop that was asked, else a failed pre-hook, else the exit code, with the runner's report when it printed one.
    /// </summary>
    public WorkspaceExited Conclude(int exitCode, DateTimeOffset at, (WorkspaceEnd End, string Reason)? stop = null, string? outOfMemory = null)
    {
        var result = Result();
        if (outOfMemory is not null) return new(taskId, WorkspaceEnd.Failed, exitCode, outOfMemory, result, at);
        if (stop is { } stopped) return new(taskId, stopped.End, exitCode, stopped.Reason, result, at);
        if (result?.PreHookFailure is { } preHook) return new(taskId, WorkspaceEnd.Failed, exitCode, preHook.Describe(), result, at);
        if (exitCode == 0) return new(taskId, WorkspaceEnd.Exited, exitCode, null, result, at);
        return new(taskId, WorkspaceEnd.Failed, exitCode, FailureMessage(exitCode), result, at);
    }

    /// <summary>The runner's report (<c>::catalyst-result::</c>), redacted; null when it printed none or one that is not valid.</summary>
    public RunnerResult? Result()
    {
        if (_resultLine is not { } json) return null;
        try
        {
            var report = JsonSerializer.Deserialize<RunnerReport>(json, JsonOptions);
            if (report is null) return null;
            return new RunnerResult(report.Branch, report.BaseSha,
                (report.Commits ?? []).Select(c => new CommitInfo(c.Sha, Redact(c.Message), c.FilesChanged, c.Insertions, c.Deletions)).ToArray(),
                report.Pushed, report.PushError is null ? null : Redact(report.PushError))
            {
                PreHookFailure = HookFailureOf(HookPhase.Pre, report.PreHookFailure),
                PostHookFailure = HookFailureOf(HookPhase.Post, report.PostHookFailure),
            };
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// How a workspace ended, from the report its runner kept on disk (<paramref name="json"/>), read back by a Host that stopped
    /// before it had read the report from the runner's output: the agent's exit code decides, as <see cref="Conclude"/> would
    /// without a stop. The task token is not known by then: anything shaped like one is redacted. Null when the report is not valid.
    /// </summary>
    public static WorkspaceExited? FromKeptReport(Guid taskId, string json, DateTimeOffset at)
    {
        json = TaskTokenShape().Replace(json.Trim(), Redacted);
        RunnerReport? report;
        try
        {
            report = JsonSerializer.Deserialize<RunnerReport>(json, JsonOptions);
        }
        catch (JsonException)
        {
            return null;
        }
        if (report is null) return null;
        var protocol = new RunnerProtocol(taskId, "");
        protocol.Read(ResultPrefix + json, OutputStream.Stdout, at);
        var result = protocol.Result();
        // Stopped, by no one's request: the task fails with the reason (or ends cancelled when its cancel was asked for before).
        if (report.HostGone) return new(taskId, WorkspaceEnd.Cancelled, report.AgentExitCode, HostGoneMessage(report), result, at);
        if (result?.PreHookFailure is { } preHook) return new(taskId, WorkspaceEnd.Failed, report.AgentExitCode, preHook.Describe(), result, at);
        return new(taskId, report.AgentExitCode == 0 ? WorkspaceEnd.Exited : WorkspaceEnd.Failed, report.AgentExitCode, null, result, at);
    }

    /// <summary>The runner stopped its agent because the Host died (its stdin closed): the task fails, saying what became of its commits.</summary>
    private static string HostGoneMessage(RunnerReport report)
    {
        const string Stopped = "The Catalyst host stopped (killed or crashed) while this task was running: its agent was stopped then.";
        var count = report.Commits?.Count ?? 0;
        var (commits, were) = count == 1 ? ("Its commit", "was") : ($"Its {count} commits", "were");
        var after = count == 0 ? " It had made no commit."
            : report.Pushed ? $" {commits} {were} pushed to {report.Branch}."
            : $" {commits} could not be pushed to {report.Branch}: {report.PushError ?? "git push failed"}.";
        return Stopped + after + " Retry the task to run it again.";
    }

    /// <summary>A task token as the broker issues them: its prefix, then base64url.</summary>
    [System.Text.RegularExpressions.GeneratedRegex("cat_task_[A-Za-z0-9_-]+")]
    private static partial System.Text.RegularExpressions.Regex TaskTokenShape();

    /// <summary>The task token never leaves in an event, a log line or the database (a very short one is left alone: it would garble the output).</summary>
    public string Redact(string text) =>
        token.Length >= 8 && text.Contains(token, StringComparison.Ordinal) ? text.Replace(token, Redacted, StringComparison.Ordinal) : text;

    private string FailureMessage(int exitCode)
    {
        string[] tail;
        lock (_stderrTail) tail = _stderrTail.ToArray();
        var said = string.Join('\n', tail).Trim();
        if (!_agentStarted)
            return said.Length > 0 ? $"The runner failed before the agent started (exit code {exitCode}):\n{said}" : $"The runner failed before the agent started (exit code {exitCode}).";
        return said.Length > 0 ? said : $"The agent exited with code {exitCode} and printed nothing on stderr.";
    }

    private HookFailure? HookFailureOf(HookPhase phase, RunnerHookFailure? failure)
    {
        if (failure is null) return null;
        var output = Redact(failure.Output ?? "").TrimEnd();
        if (output.Length > MaxHookOutputChars) output = "…" + output[^MaxHookOutputChars..];
        return new HookFailure(phase, failure.Number, Redact(failure.Command ?? ""), failure.ExitCode, output);
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    private sealed record RunnerReport(string Branch, string? BaseSha, List<RunnerCommit>? Commits, bool Pushed, string? PushError, int AgentExitCode,
        RunnerHookFailure? PreHookFailure = null, RunnerHookFailure? PostHookFailure = null, bool HostGone = false);

    private sealed record RunnerHookFailure(int Number, string? Command, int ExitCode, string? Output);

    private sealed record RunnerCommit(string Sha, string Message, int FilesChanged, int Insertions, int Deletions);
}

/// <summary>What one runner line gives: an output line to publish (in a batch), then maybe <see cref="Contracts.AgentStarted"/>; <see cref="AgentExited"/>: revoke the task token now.</summary>
public readonly record struct RunnerLine(OutputLine? Output, AgentStarted? Started, bool AgentExited)
{
    public static readonly RunnerLine Nothing = new(null, null, false);
}
