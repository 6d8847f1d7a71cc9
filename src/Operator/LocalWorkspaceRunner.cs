using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using Catalyst.Contracts;
using Catalyst.Operator.Sandbox;
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
    public const int MaxBatchLines = 500;
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(20);
    private const int StderrTailLines = 20;
    private const string Redacted = "[REDACTED]";
    private const string ProgressPrefix = "::catalyst:: ";
    private const string ResultPrefix = "::catalyst-result:: ";
    private const string HookPrefix = "::catalyst-hook:: ";
    private const int MaxHookOutputChars = 2000;

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
    private readonly Channel<object> _events = Channel.CreateBounded<object>(new BoundedChannelOptions(10_000) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly Queue<string> _stderrTail = new();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();

    private Process? _process;
    private Task _pump = Task.CompletedTask;
    private (WorkspaceEnd End, string Reason)? _stop;
    private bool _stopEnforced;
    private bool _agentStarted;
    private string? _resultLine;

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
        _pump = PumpAsync();
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
        finally
        {
            _exited.TrySetResult();
            // Whatever was logged (an install that failed, say) is published before the end.
            _events.Writer.TryComplete();
            await _pump;
            await KillLeftoversAsync();
            _limits?.Remove();
            if (_egress is not null) await _egress.DisposeAsync();
            if (_uid is { } uid) _users.Return(uid);
        }
        // A plan that was written is kept with its workspace (clone, branch, the CLI's session in HOME) for the approval.
        if (!(_spec.Phase == WorkspacePhase.Plan && exited is { End: WorkspaceEnd.Exited, ExitCode: 0 })) RemoveDirectory();
        await PublishAsync(exited);
        return exited;
    }

    private async Task<WorkspaceExited> RunCoreAsync()
    {
        if (_stop is { } early) return Ended(early.End, null, early.Reason, null);
        if (_options.RunnerDirectory is null || !File.Exists(_options.EntrypointPath))
            return Ended(WorkspaceEnd.Failed, null,
                $"The runner script was not found ({(_options.RunnerDirectory is null ? "no runner/ directory" : _options.EntrypointPath)}). Set Catalyst:RunnerDirectory to the directory holding entrypoint.sh.", null);
        if (CommandLine.Count == 0)
            return Ended(WorkspaceEnd.Failed, null, _spec.Phase == WorkspacePhase.Run
                ? $"The provider '{_spec.Provider.Name}' has no command line to start its agent."
                : $"The provider '{_spec.Provider.Name}' cannot plan first: it has no plan and resume command lines.", null);
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
            if (cli.Error is { } error) return Ended(WorkspaceEnd.Failed, null, Redact(error), null);
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
        process.StandardInput.Close();
        _logger.LogInformation("Workspace of task {TaskId} started in {Directory} (pid {Pid})", TaskId, Directory, process.Id);

        // Through the pump, behind the install's lines and ahead of the runner's.
        await _events.Writer.WriteAsync(new WorkspaceProvisioned(TaskId, Directory, _time.GetUtcNow()));
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
        _events.Writer.TryComplete();
        await _pump;

        var result = ParseResult();
        if (_limits?.OutOfMemory() == true)
            return Ended(WorkspaceEnd.Failed, exitCode, $"Out of memory: the workspace is limited to {Limits.DescribeMemory()}.", result);
        var stop = _stop;
        if (stop is not null) return Ended(stop.Value.End, exitCode, stop.Value.Reason, result);
        if (result?.PreHookFailure is { } preHook) return Ended(WorkspaceEnd.Failed, exitCode, preHook.Describe(), result);
        if (exitCode == 0) return Ended(WorkspaceEnd.Exited, exitCode, null, result);
        return Ended(WorkspaceEnd.Failed, exitCode, FailureMessage(exitCode), result);
    }

    /// <summary>The project's limits where it sets them, else the backend's.</summary>
    private ResourceLimits Limits => _spec.Limits is { } project
        ? new ResourceLimits(project.MemoryMiB ?? _options.Limits.MemoryMiB, project.Cpus ?? _options.Limits.Cpus, project.Processes ?? _options.Limits.Processes)
        : _options.Limits;

    private WorkspaceExited Ended(WorkspaceEnd end, int? exitCode, string? error, RunnerResult? result) =>
        new(TaskId, end, exitCode, error, result, _time.GetUtcNow());

    private string FailureMessage(int exitCode)
    {
        string[] tail;
        lock (_stderrTail) tail = _stderrTail.ToArray();
        var said = string.Join('\n', tail).Trim();
        if (!_agentStarted)
            return said.Length > 0 ? $"The runner failed before the agent started (exit code {exitCode}):\n{said}" : $"The runner failed before the agent started (exit code {exitCode}).";
        return said.Length > 0 ? said : $"The agent exited with code {exitCode} and printed nothing on stderr.";
    }

    // ---- Preparing the workspace ----

    /// <summary>The provider's command line for this phase.</summary>
    private IReadOnlyList<string> CommandLine => _spec.Phase switch
    {
        WorkspacePhase.Plan => _spec.Provider.Launch.PlanCommand,
        WorkspacePhase.Execute => _spec.Provider.Launch.ResumeCommand,
        _ => _spec.Provider.Launch.Command,
    };

    /// <param name="cliDirectory">The agent CLI's directory from the cache, first on PATH; null when the CLI is on the tool directories.</param>
    private ProcessStartInfo Prepare(string? cliDirectory)
    {
        // The execute phase continues in the workspace its plan left; any other phase starts from nothing.
        if (_spec.Phase != WorkspacePhase.Execute && System.IO.Directory.Exists(Directory)) DeleteTree(Directory);
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("The local workspace backend runs on Linux.");
        // Only the Host's user may list the workspace; the sandbox reaches its parts through bind mounts.
        System.IO.Directory.CreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        System.IO.Directory.CreateDirectory(HomeDirectory);
        System.IO.Directory.CreateDirectory(StateDirectory);
        System.IO.Directory.CreateDirectory(HooksHomeDirectory);
        System.IO.Directory.CreateDirectory(RunnerOwnDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // An execute phase gets a fresh token: the plan's was revoked when its agent exited.
        File.Delete(Path.Combine(RunnerOwnDirectory, "token-revoked"));

        var launch = _spec.Provider.Launch;
        var promptFile = Path.Combine(Directory, "prompt.md");
        var argvFile = Path.Combine(Directory, "agent-argv");
        var model = FirstNonBlank(_access.Model, _spec.Provider.DefaultModel) ?? "";
        var baseUrl = AgentBaseUrl();
        var values = new Dictionary<string, string>
        {
            ["prompt_file"] = promptFile,
            ["model"] = model,
            ["base_url"] = baseUrl,
            ["home"] = HomeDirectory,
            ["workspace"] = RepositoryDirectory,
            ["session_id"] = TaskId.ToString(),
        };
        string Substitute(string text) => Placeholder().Replace(text, m => values[m.Groups[1].Value]);

        var prompt = string.IsNullOrWhiteSpace(_spec.Context) ? _spec.Instructions : $"{_spec.Instructions.TrimEnd()}\n\n{_spec.Context.Trim()}";
        File.WriteAllText(promptFile, prompt.TrimEnd() + "\n", new UTF8Encoding(false));
        var argv = new StringBuilder();
        foreach (var arg in CommandLine) argv.Append(Substitute(arg).Replace("\0", "")).Append('\0');
        File.WriteAllText(argvFile, argv.ToString(), new UTF8Encoding(false));
        var setupFiles = new List<string>();
        // The execute phase's CLI is already set up: its HOME is the plan's.
        foreach (var step in _spec.Phase == WorkspacePhase.Execute ? Enumerable.Empty<IReadOnlyList<string>>() : launch.Setup.Where(s => s.Count > 0))
        {
            var file = Path.Combine(Directory, $"agent-setup-{setupFiles.Count + 1}");
            File.WriteAllText(file, string.Concat(step.Select(arg => Substitute(arg).Replace("\0", "") + "\0")), new UTF8Encoding(false));
            setupFiles.Add(file);
        }
        // The project's hooks: NUL-terminated commands, read by the runner (never passed through the environment).
        string? HooksFile(string name, IReadOnlyList<string> commands)
        {
            if (commands.Count == 0) return null;
            var file = Path.Combine(Directory, name);
            File.WriteAllText(file, string.Concat(commands.Select(c => c.Replace("\0", "") + "\0")), new UTF8Encoding(false));
            return file;
        }
        var preHooksFile = HooksFile("pre-hooks", _spec.Hooks.Pre);
        var postHooksFile = HooksFile("post-hooks", _spec.Hooks.Post);

        var home = Path.GetFullPath(HomeDirectory) + Path.DirectorySeparatorChar;
        foreach (var (relative, content) in launch.HomeFiles)
        {
            var path = Path.GetFullPath(Path.Combine(home, relative));
            if (!path.StartsWith(home, StringComparison.Ordinal))
                throw new InvalidOperationException($"The provider's home file '{relative}' is outside HOME.");
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, Substitute(content), new UTF8Encoding(false));
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
        start.ArgumentList.Add(Programs.Find("bash"));
        start.ArgumentList.Add(_options.EntrypointPath);

        // Nothing of the Host's environment: its connection strings, keys and tokens stay in the Host.
        var env = start.Environment;
        env.Clear();
        env["PATH"] = string.Join(':', (cliDirectory is null ? _options.ToolDirectories : _options.ToolDirectories.Prepend(cliDirectory)).Append(LocalWorkspaceOptions.SafePath));
        env["LANG"] = "C.UTF-8";
        foreach (var (name, value) in launch.Environment) env[name] = Substitute(value);
        env["HOME"] = HomeDirectory;
        env["CATALYST_TASK_ID"] = TaskId.ToString();
        env["CATALYST_REPOSITORY_URL"] = RepositoryUrl(_spec.RepositoryUrl);
        env["CATALYST_BASE_BRANCH"] = _spec.BaseBranch;
        env["CATALYST_WORK_BRANCH"] = string.IsNullOrWhiteSpace(_spec.WorkBranch) ? $"catalyst/{TaskId.ToString("N")[^8..]}" : _spec.WorkBranch;
        env["CATALYST_WORKSPACE"] = Directory;
        env["CATALYST_PROMPT_FILE"] = promptFile;
        env["CATALYST_PHASE"] = _spec.Phase.ToString().ToLowerInvariant();
        env["CATALYST_AGENT_ARGV_FILE"] = argvFile;
        if (setupFiles.Count > 0) env["CATALYST_AGENT_SETUP_FILES"] = string.Join(':', setupFiles);
        if (preHooksFile is not null) env["CATALYST_PRE_HOOKS_FILE"] = preHooksFile;
        if (postHooksFile is not null) env["CATALYST_POST_HOOKS_FILE"] = postHooksFile;
        // Names only: the runner unsets these for the hooks, which must not see the task token.
        env["CATALYST_CREDENTIAL_VARIABLES"] = string.Join(' ', _spec.Provider.CredentialVariables);
        env["CATALYST_AGENT_GRACE_SECONDS"] = Math.Max(1, (int)(_options.StopGrace.TotalSeconds / 2)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (_revokeToken is not null) env["CATALYST_TOKEN_REVOKED_FILE"] = Path.Combine(RunnerOwnDirectory, "token-revoked");
        // The task token, never a key: only the broker takes it, and only while the agent runs.
        foreach (var name in _spec.Provider.CredentialVariables) env[name] = _access.Token;
        if (_spec.Provider.BaseUrlVariable is { Length: > 0 } baseUrlVariable && baseUrl.Length > 0) env[baseUrlVariable] = baseUrl;

        if (_options.Sandbox)
        {
            var files = new[] { promptFile, argvFile, preHooksFile, postHooksFile }.Concat(setupFiles).OfType<string>().ToList();
            PrepareSandbox(env, files, cliDirectory);
        }
        return start;
    }

    /// <summary>The sandbox's command line, user, limits and doors (see <see cref="SandboxCommand"/>), handed to the runner.</summary>
    private void PrepareSandbox(IDictionary<string, string?> env, IReadOnlyList<string> files, string? cliDirectory)
    {
        if (Environment.IsPrivilegedProcess) _uid ??= _users.Rent();
        var limits = Limits;
        _limits = WorkspaceLimits.Create(TaskId.ToString("N"), limits);

        var (passwd, group) = SandboxCommand.Identity(_uid ?? (int)GetUid(), HomeDirectory);
        var passwdFile = Path.Combine(RunnerOwnDirectory, "passwd");
        var groupFile = Path.Combine(RunnerOwnDirectory, "group");
        File.WriteAllText(passwdFile, passwd);
        File.WriteAllText(groupFile, group);

        var readOnly = new List<string> { _options.RunnerDirectory!, _options.CliCacheDirectory };
        readOnly.AddRange(_options.ToolDirectories);
        readOnly.AddRange(_options.SandboxReadOnlyPaths);
        if (cliDirectory is not null) readOnly.Add(cliDirectory);
        var layout = new SandboxCommand.Layout(
            Directory,
            [RepositoryDirectory, HomeDirectory, HooksHomeDirectory, StateDirectory],
            files,
            readOnly,
            passwdFile,
            groupFile,
            _options.BrokerSocket,
            StartEgressProxy(env),
            Path.Combine(_options.RunnerDirectory!, "sandboxed.sh"));
        var argv = SandboxCommand.Build(_options.BubblewrapPath, layout, _uid, $"catalyst-{TaskId.ToString("N")[^8..]}", _limits is null ? limits.Processes : null);
        var argvFile = Path.Combine(RunnerOwnDirectory, "sandbox-argv");
        File.WriteAllText(argvFile, string.Concat(argv.Select(a => a + "\0")), new UTF8Encoding(false));

        env["CATALYST_SANDBOX_ARGV_FILE"] = argvFile;
        if (_uid is { } uid) env["CATALYST_SANDBOX_UID"] = uid.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (_limits is not null) env["CATALYST_CGROUP_PROCS"] = string.Join(':', _limits.ProcsFiles);
        env["CATALYST_BROKER_PORT"] = SandboxCommand.BrokerPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        env["CATALYST_BROKER_SOCKET"] = SandboxCommand.BrokerSocketInside;
    }

    /// <summary>The project's allowed hosts, through a proxy of this task's own; null (no door at all) when it allows none.</summary>
    private string? StartEgressProxy(IDictionary<string, string?> env)
    {
        var allow = EgressAllowList.Parse(_spec.EgressAllowList);
        if (allow.IsEmpty) return null;
        _egress = EgressProxy.Start(Path.Combine(Directory, "egress.sock"), allow,
            refused => WriteEventAsync(new OutputLine(_time.GetUtcNow(), OutputStream.SystemWarning, refused)), _logger);
        env["CATALYST_EGRESS_PORT"] = SandboxCommand.EgressPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        env["CATALYST_EGRESS_SOCKET"] = SandboxCommand.EgressSocketInside;
        var proxy = $"http://127.0.0.1:{SandboxCommand.EgressPort}";
        foreach (var name in new[] { "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy" }) env[name] = proxy;
        // The broker is reached directly.
        env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost";
        return _egress.SocketPath;
    }

    private async ValueTask WriteEventAsync(object item)
    {
        try
        {
            await _events.Writer.WriteAsync(item);
        }
        catch (ChannelClosedException)
        {
            // The workspace ended (stopped mid-install, say) while something still had a line for it.
        }
    }

    /// <summary>
    /// Where the agent's CLI sends its model requests: the broker, through the sandbox's loopback door (or the broker's
    /// own URL without a sandbox), with the path of the vendor's base URL kept, so the CLI speaks to it as to its vendor.
    /// </summary>
    private string AgentBaseUrl()
    {
        var path = Uri.TryCreate(_access.UpstreamBaseUrl, UriKind.Absolute, out var upstream) ? upstream.AbsolutePath.TrimEnd('/') : "";
        var broker = _options.Sandbox ? $"http://127.0.0.1:{SandboxCommand.BrokerPort}" : _access.BrokerUrl?.TrimEnd('/');
        return broker is null ? "" : broker + path;
    }

    [LibraryImport("libc", EntryPoint = "getuid")]
    private static partial uint GetUid();

    [GeneratedRegex(@"\{(prompt_file|model|base_url|home|workspace|session_id)\}")]
    private static partial Regex Placeholder();

    private static string? FirstNonBlank(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));

    /// <summary>A relative local path is taken from the Host's current directory; URLs and absolute paths pass as they are.</summary>
    private static string RepositoryUrl(string url) =>
        !url.Contains("://", StringComparison.Ordinal) && !Path.IsPathRooted(url) && System.IO.Directory.Exists(url) ? Path.GetFullPath(url) : url;

    // ---- Output ----

    /// <summary>A line of the workspace's own (the CLI install's progress), in order with the rest of the output.</summary>
    private ValueTask LogSystemAsync(string text) =>
        WriteEventAsync(new OutputLine(_time.GetUtcNow(), OutputStream.System, Redact(text)));

    private async Task ReadAsync(StreamReader reader, OutputStream stream)
    {
        try
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                var at = _time.GetUtcNow();
                if (stream == OutputStream.Stdout && line.StartsWith(ResultPrefix, StringComparison.Ordinal))
                {
                    _resultLine = line[ResultPrefix.Length..];
                    continue;
                }
                if (stream == OutputStream.Stdout && line.StartsWith(HookPrefix, StringComparison.Ordinal))
                {
                    await _events.Writer.WriteAsync(new OutputLine(at, OutputStream.Hook, Redact(line[HookPrefix.Length..])));
                    continue;
                }
                if (stream == OutputStream.Stdout && line.StartsWith(ProgressPrefix, StringComparison.Ordinal))
                {
                    var text = Redact(line[ProgressPrefix.Length..]);
                    await _events.Writer.WriteAsync(new OutputLine(at, OutputStream.System, text));
                    if (!_agentStarted && text.StartsWith("agent started", StringComparison.Ordinal))
                    {
                        _agentStarted = true;
                        await _events.Writer.WriteAsync(new AgentStarted(TaskId, at));
                    }
                    else if (text.StartsWith("agent exited with code", StringComparison.Ordinal))
                    {
                        await RevokeTokenAsync();
                    }
                    continue;
                }
                var redacted = Redact(line);
                if (stream == OutputStream.Stderr)
                    lock (_stderrTail)
                    {
                        _stderrTail.Enqueue(redacted);
                        if (_stderrTail.Count > StderrTailLines) _stderrTail.Dequeue();
                    }
                await _events.Writer.WriteAsync(new OutputLine(at, stream, redacted));
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
            await File.WriteAllTextAsync(Path.Combine(RunnerOwnDirectory, "token-revoked"), "");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _logger.LogWarning(e, "Could not revoke the task token of task {TaskId} when its agent exited", TaskId);
        }
    }

    /// <summary>Lines in batches of up to <see cref="MaxBatchLines"/>, each sent at most <see cref="FlushInterval"/> after its first line; other events in between, in order.</summary>
    private async Task PumpAsync()
    {
        var reader = _events.Reader;
        var batch = new List<OutputLine>(MaxBatchLines);
        while (await reader.WaitToReadAsync())
        {
            long first = 0;
            while (true)
            {
                while (batch.Count < MaxBatchLines && reader.TryRead(out var item))
                {
                    if (item is OutputLine line)
                    {
                        if (batch.Count == 0) first = _time.GetTimestamp();
                        batch.Add(line);
                    }
                    else
                    {
                        await FlushAsync(batch);
                        await PublishAsync(item);
                    }
                }
                if (batch.Count == 0 || batch.Count >= MaxBatchLines) break;
                var remaining = FlushInterval - _time.GetElapsedTime(first);
                if (remaining <= TimeSpan.Zero) break;
                using var wait = new CancellationTokenSource(remaining, _time);
                try
                {
                    if (!await reader.WaitToReadAsync(wait.Token)) break;
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
            await FlushAsync(batch);
        }
        await FlushAsync(batch);
    }

    private async Task FlushAsync(List<OutputLine> batch)
    {
        if (batch.Count == 0) return;
        var lines = batch.ToArray();
        batch.Clear();
        await PublishAsync(new AgentOutput(TaskId, lines));
    }

    private async Task PublishAsync(object message)
    {
        // The end is what the Tasks module waits for: it gets a few more tries than an output batch.
        var attempts = message is WorkspaceExited ? 4 : 1;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _publish(message);
                return;
            }
            catch (Exception e) when (attempt < attempts)
            {
                _logger.LogWarning(e, "Could not publish {Message} for task {TaskId}; trying again", message.GetType().Name, TaskId);
                await Task.Delay(TimeSpan.FromMilliseconds(500 * attempt), _time);
            }
            catch (Exception e)
            {
                _logger.LogError(e, "Could not publish {Message} for task {TaskId}", message.GetType().Name, TaskId);
                return;
            }
        }
    }

    /// <summary>The task token never leaves in an event, a log line or the database (a very short key is left alone: it would garble the output).</summary>
    private string Redact(string text) =>
        _access.Token.Length >= 8 && text.Contains(_access.Token, StringComparison.Ordinal) ? text.Replace(_access.Token, Redacted, StringComparison.Ordinal) : text;

    private RunnerResult? ParseResult()
    {
        if (_resultLine is null) return null;
        try
        {
            var report = JsonSerializer.Deserialize<RunnerReport>(_resultLine, JsonOptions);
            if (report is null) return null;
            return new RunnerResult(report.Branch, report.BaseSha,
                (report.Commits ?? []).Select(c => new CommitInfo(c.Sha, Redact(c.Message), c.FilesChanged, c.Insertions, c.Deletions)).ToArray(),
                report.Pushed, report.PushError is null ? null : Redact(report.PushError))
            {
                PreHookFailure = HookFailureOf(HookPhase.Pre, report.PreHookFailure),
                PostHookFailure = HookFailureOf(HookPhase.Post, report.PostHookFailure),
            };
        }
        catch (JsonException e)
        {
            _logger.LogWarning(e, "The runner of task {TaskId} printed a result line that is not valid", TaskId);
            return null;
        }
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
        RunnerHookFailure? PreHookFailure = null, RunnerHookFailure? PostHookFailure = null);

    private sealed record RunnerHookFailure(int Number, string? Command, int ExitCode, string? Output);

    private sealed record RunnerCommit(string Sha, string Message, int FilesChanged, int Insertions, int Deletions);

    // ---- Stopping and cleaning up ----

    private async Task EnforceStopAsync()
    {
        int pid;
        lock (_gate)
        {
            if (_stopEnforced || _process is null) return;
            _stopEnforced = true;
            pid = ProcessId!.Value;
        }
        _logger.LogInformation("Stopping workspace of task {TaskId}: {Reason}", TaskId, _stop?.Reason);
        WorkspaceProcesses.Signal(pid, _marker, WorkspaceProcesses.SIGTERM);
        var exited = _exited.Task;
        if (await Task.WhenAny(exited, Task.Delay(_options.StopGrace, _time)) == exited) return;
        _logger.LogWarning("Workspace of task {TaskId} did not stop within {Grace}; killing it", TaskId, _options.StopGrace);
        WorkspaceProcesses.Signal(pid, _marker, WorkspaceProcesses.SIGKILL);
    }

    /// <summary>After the runner: whatever the agent left running gets SIGTERM, then SIGKILL a second later.</summary>
    private async Task KillLeftoversAsync()
    {
        if (ProcessId is not { } pid) return;
        if (WorkspaceProcesses.Find(pid, _marker).Count == 0) return;
        WorkspaceProcesses.Signal(pid, _marker, WorkspaceProcesses.SIGTERM);
        var started = _time.GetTimestamp();
        while (_time.GetElapsedTime(started) < TimeSpan.FromSeconds(1))
        {
            if (WorkspaceProcesses.Find(pid, _marker).Count == 0) return;
            await Task.Delay(20, CancellationToken.None);
        }
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var left = WorkspaceProcesses.Find(pid, _marker);
            if (left.Count == 0) return;
            WorkspaceProcesses.KillAll(left);
            await Task.Delay(20, CancellationToken.None);
        }
        _logger.LogWarning("Processes of task {TaskId} survived SIGKILL", TaskId);
    }

    private void RemoveDirectory()
    {
        if (_options.KeepWorkspaces || !System.IO.Directory.Exists(Directory)) return;
        try
        {
            DeleteTree(Directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning(e, "Could not remove the workspace of task {TaskId} at {Directory}", TaskId, Directory);
        }
    }

    /// <summary>Recursive delete that also gets through directories the agent made read-only.</summary>
    internal static void DeleteTree(string path)
    {
        try
        {
            System.IO.Directory.Delete(path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            foreach (var dir in System.IO.Directory.EnumerateDirectories(path, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }).Prepend(path))
                try { if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute); }
                catch (Exception) { /* best effort */ }
            System.IO.Directory.Delete(path, recursive: true);
        }
    }
}
