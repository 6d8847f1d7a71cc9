using System.Diagnostics;
using Catalyst.Contracts;
using Catalyst.Operator;

namespace Catalyst.Tests.Workspaces;

/// <summary>A temp directory with a bare origin repository (main seeded with one commit), agent scripts and a workspaces directory.</summary>
public sealed class WorkspaceSandbox : IDisposable
{
    /// <summary>The task token the workspace gets in place of a key.</summary>
    public const string Key = "cat_task_test0123456789abcdef";

    private WorkspaceSandbox(string root) => Root = root;

    public string Root { get; }
    public string Origin => Path.Combine(Root, "origin.git");
    public string WorkspacesDirectory => Path.Combine(Root, "workspaces");

    public static WorkspaceSandbox Create()
    {
        var sandbox = new WorkspaceSandbox(Directory.CreateTempSubdirectory("catalyst-ws-").FullName);
        sandbox.Git(sandbox.Root, "init", "--quiet", "--bare", "--initial-branch=main", "origin.git");
        sandbox.PushToOrigin("README.md", "# Sample\n\none\ntwo\nthree\n", "Initial commit");
        return sandbox;
    }

    /// <summary>Commits <paramref name="file"/> onto the origin's main from a scratch clone of its own; returns the commit.</summary>
    public string PushToOrigin(string file, string content, string message)
    {
        var scratch = Path.Combine(Root, $"scratch-{Guid.NewGuid():N}");
        Git(Root, "clone", "--quiet", Origin, scratch);
        File.WriteAllText(Path.Combine(scratch, file), content);
        Git(scratch, "add", file);
        Git(scratch, "-c", "user.name=Seed", "-c", "user.email=seed@example.com", "commit", "--quiet", "-m", message);
        Git(scratch, "push", "--quiet", "origin", "HEAD:refs/heads/main");
        return Git(scratch, "rev-parse", "HEAD");
    }

    /// <summary>
    /// Where every test's agent scripts are: a directory the workspaces' sandboxes see read-only (the test hosts list it
    /// in Catalyst:Workspaces:SandboxReadOnlyPaths), apart from the origin repositories, which a sandbox never sees.
    /// </summary>
    public static string AgentsDirectory { get; } = Path.Combine(Path.GetTempPath(), "catalyst-test-agents");

    /// <summary>Writes an agent: a bash script run as <c>bash script {prompt} args…</c> in the clone.</summary>
    public string Agent(string script)
    {
        Directory.CreateDirectory(AgentsDirectory);
        var path = Path.Combine(AgentsDirectory, $"agent-{Guid.NewGuid():N}.sh");
        File.WriteAllText(path, "set -u\n" + script.ReplaceLineEndings("\n"));
        return path;
    }

    public LocalWorkspaceOptions Options(double stopGraceSeconds = 4, bool keep = false) => new()
    {
        WorkspacesDirectory = WorkspacesDirectory,
        RunnerDirectory = LocalWorkspaceOptions.FindRunnerDirectory(null),
        StopGrace = TimeSpan.FromSeconds(stopGraceSeconds),
        KeepWorkspaces = keep,
        SandboxReadOnlyPaths = [AgentsDirectory],
        // Test runs side by side on one machine (CATALYST_TEST_UID_BASE) give their sandboxes different users.
        SandboxUidBase = int.TryParse(Environment.GetEnvironmentVariable("CATALYST_TEST_UID_BASE"), out var uidBase) ? uidBase : LocalWorkspaceOptions.DefaultSandboxUidBase,
    };

    public static AgentProviderInfo Provider(string agent, params string[] args) => new(
        "test-agent", "Test agent", "A bash script playing an agent CLI", true, [],
        CredentialVariables: ["ANTHROPIC_API_KEY"], BaseUrlVariable: "ANTHROPIC_BASE_URL", DefaultModel: "default-model", Install: null,
        Launch: new AgentLaunch(
            ["bash", agent, "{prompt}", .. args],
            new Dictionary<string, string> { ["TEST_AGENT_CONFIG"] = "{home}/.config/test-agent.json", ["DISABLE_TELEMETRY"] = "1" },
            new Dictionary<string, string> { [".config/test-agent.json"] = "{\"model\":\"{model}\",\"baseUrl\":\"{base_url}\",\"repo\":\"{workspace}\"}" },
            "text"));

    public WorkspaceSpec Spec(Guid taskId, string agent, int timeoutSeconds = 0, string? context = null, params string[] args) => new(
        taskId, Origin, "main", $"catalyst/{taskId.ToString("N")[..8]}",
        "Fix the \"README\"\nand say what you did.", context, Provider(agent, args), Guid.NewGuid(), timeoutSeconds,
        new Dictionary<string, string>());

    public static TaskAccess Credential(string? model = "credential-model", string baseUrl = "http://127.0.0.1:9/v1") =>
        new(Guid.NewGuid(), Key, model, baseUrl) { BrokerUrl = "http://127.0.0.1:9" };

    private static readonly string TrustAllRepositories = WriteTrustAll();

    private static string WriteTrustAll()
    {
        var path = Path.Combine(Path.GetTempPath(), "catalyst-test-gitconfig");
        File.WriteAllText(path, "[safe]\n\tdirectory = *\n");
        return path;
    }

    public string Git(string directory, params string[] args)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        // A workspace's clone belongs to its sandbox's user: the test reads it as root.
        start.Environment["GIT_CONFIG_GLOBAL"] = TrustAllRepositories;
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"git {string.Join(' ', args)} failed: {stderr}");
        return stdout.Result.Trim();
    }

    /// <summary>The sha of a branch in the origin, or null when it has no such branch.</summary>
    public string? OriginBranch(string branch)
    {
        try { return Git(Root, "--git-dir", Origin, "rev-parse", "--verify", "--quiet", $"refs/heads/{branch}"); }
        catch (InvalidOperationException) { return null; }
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>What a runner published, in order, with a way to wait for a line.</summary>
public sealed class PublishedEvents
{
    private readonly List<object> _events = [];
    private readonly List<(Func<OutputLine, bool> Match, TaskCompletionSource Seen)> _waiters = [];

    public ValueTask Publish(object message)
    {
        lock (_events)
        {
            _events.Add(message);
            if (message is AgentOutput output)
                foreach (var waiter in _waiters.Where(w => output.Lines.Any(w.Match)).ToArray())
                {
                    waiter.Seen.TrySetResult();
                    _waiters.Remove(waiter);
                }
        }
        return ValueTask.CompletedTask;
    }

    public IReadOnlyList<object> All
    {
        get { lock (_events) return _events.ToArray(); }
    }

    public IReadOnlyList<OutputLine> Lines => All.OfType<AgentOutput>().SelectMany(o => o.Lines).ToArray();

    public IEnumerable<string> Text(OutputStream stream) => Lines.Where(l => l.Stream == stream).Select(l => l.Text);

    public Task WaitForLine(string text, TimeSpan? timeout = null)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_events)
        {
            if (_events.OfType<AgentOutput>().SelectMany(o => o.Lines).Any(l => l.Text == text)) return Task.CompletedTask;
            _waiters.Add((l => l.Text == text, seen));
        }
        return seen.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(30));
    }
}

public static class ProcessTable
{
    /// <summary>Live (not zombie) processes whose environment holds <c>CATALYST_TASK_ID=taskId</c>.</summary>
    public static IReadOnlyList<int> OfTask(Guid taskId)
    {
        var marker = $"CATALYST_TASK_ID={taskId}";
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || !IsAlive(pid)) continue;
            try
            {
                var environ = File.ReadAllText(Path.Combine(dir, "environ")).Split('\0');
                if (environ.Contains(marker)) found.Add(pid);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return found;
    }

    /// <summary>Live processes whose real user is <paramref name="uid"/> (a workspace's sandbox user).</summary>
    public static IReadOnlyList<int> OfUser(int uid)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || !IsAlive(pid)) continue;
            try
            {
                var line = File.ReadLines(Path.Combine(dir, "status")).FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
                if (line is not null && line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] == uid.ToString()) found.Add(pid);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return found;
    }

    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }
}
