using System.Globalization;

namespace Catalyst.Operator.Sandbox;

/// <summary>Memory, CPU and process limits of one workspace. Null: no limit.</summary>
public sealed record ResourceLimits(int? MemoryMiB, double? Cpus, int? Processes)
{
    public static readonly ResourceLimits Default = new(4096, null, 512);

    public string DescribeMemory() => MemoryMiB is not { } mib ? "unlimited" : mib % 1024 == 0 ? $"{mib / 1024} GiB" : $"{mib} MiB";
}

/// <summary>
/// A workspace's control groups: memory, pids and cpu, under <c>catalyst/&lt;task id&gt;</c> of cgroup v2 when the
/// machine has it with those controllers, else of the v1 hierarchies. The runner moves the sandbox into them before it
/// starts (<see cref="ProcsFiles"/>); the Host reads whether the kernel killed anything for memory, and removes them.
/// Null from <see cref="Create"/> when neither can be used (not root, read-only cgroupfs): the sandbox then falls back
/// to the process limit alone (an rlimit of the workspace's own user).
/// </summary>
public sealed class WorkspaceLimits
{
    private const string Root = "/sys/fs/cgroup";
    private readonly IReadOnlyList<string> _directories;
    private readonly string? _memoryEvents;
    private readonly bool _v2;

    private WorkspaceLimits(IReadOnlyList<string> directories, string? memoryEvents, bool v2)
    {
        _directories = directories;
        _memoryEvents = memoryEvents;
        _v2 = v2;
    }

    public IReadOnlyList<string> ProcsFiles => _directories.Select(d => Path.Combine(d, "cgroup.procs")).ToArray();

    /// <summary>Which kind of limits this machine gives workspaces, for the start-up check and the docs.</summary>
    public static string Kind => UsableV2() ? "cgroup v2" : UsableV1() ? "cgroup v1" : "rlimits (process count only)";

    public static WorkspaceLimits? Create(string name, ResourceLimits limits)
    {
        if (limits.MemoryMiB is null && limits.Cpus is null && limits.Processes is null) return null;
        try
        {
            if (UsableV2()) return CreateV2(name, limits);
            if (UsableV1()) return CreateV1(name, limits);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Falls back to rlimits.
        }
        return null;
    }

    private static bool UsableV2()
    {
        var controllers = Path.Combine(Root, "cgroup.controllers");
        if (!Environment.IsPrivilegedProcess || !File.Exists(controllers)) return false;
        var available = File.ReadAllText(controllers).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return available.Contains("memory") && available.Contains("pids");
    }

    private static bool UsableV1() =>
        Environment.IsPrivilegedProcess && File.Exists(Path.Combine(Root, "memory", "memory.limit_in_bytes")) && File.Exists(Path.Combine(Root, "pids", "cgroup.procs"));

    private static WorkspaceLimits CreateV2(string name, ResourceLimits limits)
    {
        var parent = Path.Combine(Root, "catalyst");
        Directory.CreateDirectory(parent);
        // Controllers must be enabled on the way down for the workspace's group to have them.
        TryWrite(Path.Combine(Root, "cgroup.subtree_control"), "+memory +pids +cpu");
        TryWrite(Path.Combine(parent, "cgroup.subtree_control"), "+memory +pids +cpu");
        var dir = Path.Combine(parent, name);
        Directory.CreateDirectory(dir);
        if (limits.MemoryMiB is { } mib)
        {
            File.WriteAllText(Path.Combine(dir, "memory.max"), Bytes(mib));
            TryWrite(Path.Combine(dir, "memory.swap.max"), "0");
        }
        if (limits.Processes is { } pids) File.WriteAllText(Path.Combine(dir, "pids.max"), pids.ToString(CultureInfo.InvariantCulture));
        if (limits.Cpus is { } cpus) TryWrite(Path.Combine(dir, "cpu.max"), $"{(long)(cpus * 100_000)} 100000");
        return new WorkspaceLimits([dir], Path.Combine(dir, "memory.events"), v2: true);
    }

    private static WorkspaceLimits CreateV1(string name, ResourceLimits limits)
    {
        var dirs = new List<string>();
        string Group(string controller)
        {
            var dir = Path.Combine(Root, controller, "catalyst", name);
            Directory.CreateDirectory(dir);
            dirs.Add(dir);
            return dir;
        }
        var memory = Group("memory");
        if (limits.MemoryMiB is { } mib)
        {
            File.WriteAllText(Path.Combine(memory, "memory.limit_in_bytes"), Bytes(mib));
            // Swap would only slow the end: memory+swap gets the same limit where the kernel accounts swap.
            TryWrite(Path.Combine(memory, "memory.memsw.limit_in_bytes"), Bytes(mib));
        }
        var pids = Group("pids");
        if (limits.Processes is { } max) File.WriteAllText(Path.Combine(pids, "pids.max"), max.ToString(CultureInfo.InvariantCulture));
        if (limits.Cpus is { } cpus && Directory.Exists(Path.Combine(Root, "cpu")))
        {
            var cpu = Group("cpu");
            TryWrite(Path.Combine(cpu, "cpu.cfs_period_us"), "100000");
            TryWrite(Path.Combine(cpu, "cpu.cfs_quota_us"), ((long)(cpus * 100_000)).ToString(CultureInfo.InvariantCulture));
        }
        return new WorkspaceLimits(dirs, Path.Combine(memory, "memory.oom_control"), v2: false);
    }

    /// <summary>Whether the kernel killed a process of the workspace for going over its memory limit.</summary>
    public bool OutOfMemory()
    {
        if (_memoryEvents is null) return false;
        try
        {
            foreach (var line in File.ReadLines(_memoryEvents))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length == 2 && parts[0] == "oom_kill" && long.TryParse(parts[1], out var kills) && kills > 0) return true;
            }
            // v1 kernels without the oom_kill counter: any failed charge that ended with the group under OOM.
            if (!_v2 && File.ReadLines(_memoryEvents).Any(l => l == "under_oom 1")) return true;
        }
        catch (IOException)
        {
        }
        return false;
    }

    /// <summary>Removes the groups; every process in them must be gone first.</summary>
    public void Remove()
    {
        foreach (var dir in _directories)
        {
            try { Directory.Delete(dir); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    private static string Bytes(int mib) => ((long)mib * 1024 * 1024).ToString(CultureInfo.InvariantCulture);

    private static void TryWrite(string path, string value)
    {
        try { File.WriteAllText(path, value); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
