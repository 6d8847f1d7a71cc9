using System.Diagnostics;
using System.Text;
using Catalyst.Contracts;
using Catalyst.Operator.Sandbox;
using Catalyst.Operator.Workspaces;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Catalyst.Operator;

/// <summary>
/// One task's workspace on this machine: a directory with a fresh HOME, the runner (<c>runner/entrypoint.sh</c>) as a
/// child process in its own session with a clean environment, its output streamed as events, and its end reported.
/// Events go to <c>publish</c> in order: the CLI's install on first use (<see cref="AgentOutput"/>, system lines),
/// <see cref="WorkspaceProvisioned"/>, <see cref="AgentStarted"/>, <see cref="AgentOutput"/> batches, and last
/// <see cref="WorkspaceExited"/>.
/// </summary>
public sealed partial class LocalWorkspaceRunner
{
    public const int MaxBatchLines = WorkspaceOutputPump.MaxBatchLines;

    private readonly WorkspaceSpec _spec;
    private readonly TaskAccess _access;
    private readonly Func<CancellationToken, Task>? _revokeToken;
    private readonly SandboxUsers _users;
    private int? _uid;
    private WorkspaceLimits? _limits;
    private EgressProxy? _egress;
    private readonly LocalWorkspaceOptions _options;
    private readonly Func<object, ValueTask> _publish;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly AgentCliCache _clis;
    private readonly CancellationTokenSource _stopping = new();
    private readonly string _marker;
    private readonly RunnerProtocol _protocol;
    private WorkspaceOutputPump? _output;
    private string? _cache;
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();

    private Process? _process;
    private (WorkspaceEnd End, string Reason)? _stop;
    private bool _stopEnforced;

    /// <param name="revokeToken">Revokes the task token the moment the agent exits, before the post-hooks run; null: nothing to revoke.</param>
    public LocalWorkspaceRunner(WorkspaceSpec spec, TaskAccess access, LocalWorkspaceOptions options, Func<object, ValueTask> publish,
        ILogger? logger = null, TimeProvider? time = null, AgentCliCache? clis = null, Func<CancellationToken, Task>? revokeToken = null)
    {
        _revokeToken = revokeToken;
        _spec = spec;
        _access = access;
        _users = SandboxUsers.For(options.SandboxUidBase);
        _options = options;
        _publish = publish;
        _logger = logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        _clis = clis ?? new AgentCliCache(options);
        _marker = $"CATALYST_TASK_ID={spec.TaskId}";
        _protocol = new RunnerProtocol(spec.TaskId, access.Token);
        Directory = Path.Combine(options.WorkspacesDirectory, spec.TaskId.ToString());
    }

    public Guid TaskId => _spec.TaskId;

    /// <summary>The task's directory: <c>home/</c>, <c>repo/</c>, the prompt and the agent's command line.</summary>
    public string Directory { get; }

    public string HomeDirectory => Path.Combine(Directory, "home");
    public string RepositoryDirectory => Path.Combine(Directory, "repo");
    private string StateDirectory => Path.Combine(Directory, "state");
    private string HooksHomeDirectory => Path.Combine(Directory, "hooks-home");

    /// <summary>The runner's own files outside the sandbox: the base commit, the repository it pushes from, the sandbox's passwd.</summary>
    private string RunnerOwnDirectory => Path.Combine(Directory, "runner");

    /// <summary>The user the sandbox runs as (root Host, sandbox on); null otherwise.</summary>
    public int? SandboxUid => _uid;

    /// <summary>The runner's pid, which is also its session and process group id; null before it starts.</summary>
    public int? ProcessId { get; private set; }

    /// <summary>
    /// Stops the agent: SIGTERM to every process of the workspace, SIGKILL after the grace period. The runner still
    /// commits and pushes what the agent made. <see cref="RunAsync"/> then ends with <paramref name="end"/>. The first stop wins.
    /// </summary>
    public void Stop(string reason, WorkspaceEnd end = WorkspaceEnd.Cancelled)
    {
        lock (_gate)
        {
            if (_stop is not null || _exited.Task.IsCompleted) return;
            _stop = (end, reason);
        }
        // Ends a CLI install in progress; the runner, once started, gets its signals.
        _stopping.Cancel();
        lock (_gate)
            if (_process is null) return;
        _ = EnforceStopAsync();
    }

    /// <summary>Runs the workspace to its end and returns the <see cref="WorkspaceExited"/> it published.</summary>
    public async Task<WorkspaceExited> RunAsync(CancellationToken cancellationToken = default)
    {
        using var cancel = cancellationToken.Register(() => Stop("The workspace was cancelled."));
        var output = _output = new WorkspaceOutputPump(TaskId, _publish, _logger, _time);
        WorkspaceExited exited;
        try
        {
            exited = await RunCoreAsync();
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Workspace of task {TaskId} failed", TaskId);
            exited = new WorkspaceExited(TaskId, WorkspaceEnd.Failed, null, $"The local workspace failed: {e.Message}", null, _time.GetUtcNow());
        }
        _exited.TrySetResult();
        // The end is kept on disk until the Tasks module has stored it, before anything waits for the database (the output
        // behind it does while the database is down): a Host that stops meanwhile reads it back when it starts again.
        var kept = KeptWorkspaceExits.Keep(_options, exited);
        if (kept) _logger.LogInformation("Workspace of task {TaskId} ended ({End}, exit code {ExitCode}); its end is kept until it is stored",
            TaskId, exited.End, exited.ExitCode);
        else _logger.LogWarning("Workspace of task {TaskId} ended ({End}, exit code {ExitCode}); its end could not be kept on disk until it is stored",
            TaskId, exited.End, exited.ExitCode);
        // Whatever was logged (an install that failed, say) is published before the end.
        output.Complete();
        await output.Completion;
        await KillLeftoversAsync();
        _limits?.Remove();
        if (_egress is not null) await _egress.DisposeAsync();
        if (_uid is { } uid) _users.Return(uid);
        // A plan that was written is kept with its workspace (clone, branch, the CLI's session in HOME) for the approval.
        if (!(_spec.Phase == WorkspacePhase.Plan && exited is { End: WorkspaceEnd.Exited, ExitCode: 0 })) RemoveDirectory();
        await output.PublishAsync(exited);
        if (kept) KeptWorkspaceExits.Forget(_options, TaskId);
        return exited;
    }

    private async Task<WorkspaceExited> RunCoreAsync()
    {
        if (_stop is { } early) return Ended(early.End, null, early.Reason, null);
        if (_options.RunnerDirectory is null || !File.Exists(_options.EntrypointPath))
            return Ended(WorkspaceEnd.Failed, null,
                $"The runner script was not found ({(_options.RunnerDirectory is null ? "no runner/ directory" : _options.EntrypointPath)}). Set Catalyst:RunnerDirectory to the directory holding entrypoint.sh.", null);
        if (WorkspaceLaunch.Refusal(_spec) is { } refusal) return Ended(WorkspaceEnd.Failed, null, refusal, null);
        if (_spec.Phase == WorkspacePhase.Execute && !System.IO.Directory.Exists(Path.Combine(RepositoryDirectory, ".git")))
            return Ended(WorkspaceEnd.Failed, null, "The workspace kept for the plan is gone (removed, or on another machine); retry the task to plan again.", null);

        string? cliDirectory = null;
        if (_spec.Provider.Install is { } install)
        {
            AgentCliInstall cli;
            try
            {
                cli = await _clis.EnsureAsync(install, LogSystemAsync, _stopping.Token);
            }
            catch (OperationCanceledException) when (_stop is not null)
            {
                cli = AgentCliInstall.OnPath;
            }
            if (_stop is { } stoppedWhileInstalling) return Ended(stoppedWhileInstalling.End, null, stoppedWhileInstalling.Reason, null);
            if (cli.Error is { } error) return Ended(WorkspaceEnd.Failed, null, _protocol.Redact(error), null);
            cliDirectory = cli.BinDirectory;
        }

        var start = Prepare(cliDirectory);
        var process = new Process { StartInfo = start };
        lock (_gate)
        {
            if (_stop is { } stopped) return Ended(stopped.End, null, stopped.Reason, null);
            process.Start();
            _process = process;
            ProcessId = process.Id;
        }
        using var owned = process;
        // The runner's stdin stays open, never written, until the runner ends: when this process dies the kernel closes
        // it, and the runner stops its agent and still pushes its commits (runner/entrypoint.sh, "lifeline").
        _logger.LogInformation("Workspace of task {TaskId} started in {Directory} (pid {Pid})", TaskId, Directory, process.Id);

        // Through the pump, behind the install's lines and ahead of the runner's.
        await _output!.WriteAsync(new WorkspaceProvisioned(TaskId, Directory, _time.GetUtcNow()));
        var stdout = ReadAsync(process.StandardOutput, OutputStream.Stdout);
        var stderr = ReadAsync(process.StandardError, OutputStream.Stderr);
        using var timeout = _spec.TimeoutSeconds > 0
            ? _time.CreateTimer(_ => Stop($"The agent did not finish within {_spec.TimeoutSeconds} seconds.", WorkspaceEnd.TimedOut),
                null, TimeSpan.FromSeconds(_spec.TimeoutSeconds), Timeout.InfiniteTimeSpan)
            : null;
        if (_stop is not null) _ = EnforceStopAsync();

        await process.WaitForExitAsync();
        var exitCode = process.ExitCode;
        lock (_gate) _exited.TrySetResult();
        timeout?.Dispose();

        // Background processes of the agent may still hold the output pipes open: end them, then drain.
        await KillLeftoversAsync();
        var readers = Task.WhenAll(stdout, stderr);
        if (await Task.WhenAny(readers, Task.Delay(TimeSpan.FromSeconds(5), _time)) != readers)
        {
            _logger.LogWarning("Output of task {TaskId} still open after the runner exited; closing it", TaskId);
            process.Dispose();
            await Task.WhenAny(readers, Task.Delay(TimeSpan.FromSeconds(2), _time));
        }
        // The output still waiting to be stored is awaited by RunAsync, once the end is kept on disk.
        var outOfMemory = _limits?.OutOfMemory() == true ? $"Out of memory: the workspace is limited to {Limits.DescribeMemory()}." : null;
        return _protocol.Conclude(exitCode, _time.GetUtcNow(), _stop, outOfMemory);
    }

    /// <summary>The project's limits where it sets them, else the backend's.</summary>
    private ResourceLimits Limits => _spec.Limits is { } project
        ? new ResourceLimits(project.MemoryMiB ?? _options.Limits.MemoryMiB, project.Cpus ?? _options.Limits.Cpus, project.Processes ?? _options.Limits.Processes)
        : _options.Limits;

    private WorkspaceExited Ended(WorkspaceEnd end, int? exitCode, string? error, RunnerResult? result) =>
        new(TaskId, end, exitCode, error, result, _time.GetUtcNow());

    /// <summary>Tells the runner that its stdin is this process's lifeline: its end means the Host died.</summary>
    private const string HostLifelineVariable = "CATALYST_HOST_LIFELINE";

    // ---- Preparing the workspace ----

    /// <summary>The launch of this task as this machine runs it: the task's directory, the CLI's directory first on PATH, the broker's door.</summary>
    /// <param name="cliDirectory">The agent CLI's directory from the cache, first on PATH; null when the CLI is on the tool directories.</param>
    internal WorkspaceLaunch Launch(string? cliDirectory) => WorkspaceLaunch.For(_spec, _access, new WorkspaceLaunchSettings
    {
        Directory = Directory,
        EntrypointPath = _options.EntrypointPath,
        PathDirectories = [.. cliDirectory is null ? _options.ToolDirectories : _options.ToolDirectories.Prepend(cliDirectory), LocalWorkspaceOptions.SafePath],
        // The broker through the sandbox's loopback door, or the broker's own URL without a sandbox.
        AgentBaseUrl = WorkspaceLaunch.AgentBaseUrl(_access, _options.Sandbox ? $"http://127.0.0.1:{SandboxCommand.BrokerPort}" : _access.BrokerUrl),
        RepositoryUrl = RepositoryUrl(_spec.RepositoryUrl),
        StopGrace = _options.StopGrace,
        ConfirmsTokenRevoked = _revokeToken is not null,
        ExtraEnvironment = _cache is { } cache
            ? new Dictionary<string, string>
            {
                [HostLifelineVariable] = "stdin",
                ["CATALYST_REPOSITORY_CACHE"] = cache,
                ["CATALYST_REPOSITORY_CACHE_WAIT_SECONDS"] = ((int)Math.Ceiling(_options.RepositoryCacheWait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture),
            }
            : new Dictionary<string, string> { [HostLifelineVariable] = "stdin" },
    });

    /// <summary>
    /// This task's project's repository cache, its place made ready: the sandbox shows the cache's objects (read-only) at
    /// a path that must exist before the runner makes the cache. Null when the backend keeps none, or when the place cannot
    /// be made (then the task clones in full, with a warning).
    /// </summary>
    private string? PrepareRepositoryCache()
    {
        if (_options.RepositoryCacheDirectory is not { } directory) return null;
        var cache = RepositoryCache.PathFor(directory, RepositoryUrl(_spec.RepositoryUrl));
        const UnixFileMode Readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        try
        {
            foreach (var dir in new[] { cache, Path.Combine(cache, "objects") })
            {
                System.IO.Directory.CreateDirectory(dir);
                if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(dir, Readable);
            }
            return cache;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning(e, "The repository cache of task {TaskId} cannot be used", TaskId);
            _ = _output!.TryWriteAsync(_protocol.System($"repository cache unusable ({e.Message}); cloning in full", _time.GetUtcNow(), OutputStream.SystemWarning));
            return null;
        }
    }

    /// <param name="cliDirectory">The agent CLI's directory from the cache, first on PATH; null when the CLI is on the tool directories.</param>
    private ProcessStartInfo Prepare(string? cliDirectory)
    {
        // The execute phase continues in the workspace its plan left; any other phase starts from nothing.
        if (_spec.Phase != WorkspacePhase.Execute && System.IO.Directory.Exists(Directory)) DeleteTree(Directory);
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("The local workspace backend runs on Linux.");
        _cache = PrepareRepositoryCache();
        var launch = Launch(cliDirectory);
        // Only the Host's user may list the workspace; the sandbox reaches its parts through bind mounts.
        System.IO.Directory.CreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        System.IO.Directory.CreateDirectory(HomeDirectory);
        System.IO.Directory.CreateDirectory(StateDirectory);
        System.IO.Directory.CreateDirectory(HooksHomeDirectory);
        System.IO.Directory.CreateDirectory(RunnerOwnDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // An execute phase gets a fresh token: the plan's was revoked when its agent exited.
        File.Delete(Path.Combine(Directory, WorkspaceLaunch.TokenRevokedFile));
        // Nor does it inherit the plan's report: only this run's may be read back after a Host that stopped.
        File.Delete(KeptWorkspaceExits.RunnerReportPath(Directory));
        foreach (var (relative, content) in launch.Files)
        {
            var path = Path.Combine(Directory, relative);
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, content, new UTF8Encoding(false));
        }

        var start = new ProcessStartInfo(Programs.Find("setsid"))
        {
            WorkingDirectory = Directory,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = new UTF8Encoding(false),
            StandardErrorEncoding = new UTF8Encoding(false),
        };
        // setsid execs in place (a child of ours is no group leader): the runner's pid is its session and group id.
        start.ArgumentList.Add("--wait");
        start.ArgumentList.Add(Programs.Find(launch.RunnerCommand[0]));
        foreach (var arg in launch.RunnerCommand.Skip(1)) start.ArgumentList.Add(arg);

        // Nothing of the Host's environment: its connection strings, keys and tokens stay in the Host.
        var env = start.Environment;
        env.Clear();
        foreach (var (name, value) in launch.Environment) env[name] = value;
        if (_options.Sandbox) PrepareSandbox(env, launch.RunnerFiles.Select(f => Path.Combine(Directory, f)).ToList(), cliDirectory);
        return start;
    }

    /// <summary>A relative local path is taken from the Host's current directory; URLs and absolute paths pass as they are.</summary>
    internal static string RepositoryUrl(string url) =>
        !url.Contains("://", StringComparison.Ordinal) && !Path.IsPathRooted(url) && System.IO.Directory.Exists(url) ? Path.GetFullPath(url) : url;

    // ---- Output ----

    /// <summary>A line of the workspace's own (the CLI install's progress), in order with the rest of the output.</summary>
    private ValueTask LogSystemAsync(string text) => _output!.TryWriteAsync(_protocol.System(text, _time.GetUtcNow()));

    private async Task ReadAsync(StreamReader reader, OutputStream stream)
    {
        try
        {
            while (await reader.ReadLineAsync() is { } text)
            {
                var line = _protocol.Read(text, stream, _time.GetUtcNow());
                if (line.Output is { } output) await _output!.WriteAsync(output);
                if (line.Started is { } started) await _output!.WriteAsync(started);
                if (line.AgentExited) await RevokeTokenAsync();
            }
        }
        catch (Exception e) when (e is ObjectDisposedException or IOException or InvalidOperationException)
        {
            // The pipe was closed under us after the runner exited.
        }
    }

    /// <summary>The agent is done with the model: its token stops working before any post-hook runs, then the runner goes on.</summary>
    private async Task RevokeTokenAsync()
    {
        if (_revokeToken is null) return;
        try
        {
            await _revokeToken(CancellationToken.None);
            await File.WriteAllTextAsync(Path.Combine(Directory, WorkspaceLaunch.TokenRevokedFile), "");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _logger.LogWarning(e, "Could not revoke the task token of task {TaskId} when its agent exited", TaskId);
        }
    }
}
