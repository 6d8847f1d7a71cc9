using System.Runtime.InteropServices;
using System.Text;

namespace Catalyst.Operator;

/// <summary>
/// Signals for a workspace's processes. The runner starts in its own session and process group (setsid), so the
/// group id is the runner's pid; processes that left the group or the session are still found by the task id in
/// their environment.
/// </summary>
public static partial class WorkspaceProcesses
{
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);

    /// <summary>Sends <paramref name="signal"/> to the group led by <paramref name="leader"/>, to every process of its session, and to every process carrying the task's marker.</summary>
    /// <remarks>
    /// SIGTERM spares bubblewrap: the sandboxed runner inside stops the agent gracefully, while a sandbox whose
    /// bubblewrap ended would be torn down at once. SIGKILL takes everything, the sandbox's namespace with it.
    /// </remarks>
    public static void Signal(int leader, string taskMarker, int signal)
    {
        if (leader <= 1 || leader == Environment.ProcessId) return;
        if (signal != SIGTERM) Kill(-leader, signal);
        foreach (var pid in Find(leader, taskMarker))
            if (signal != SIGTERM || !IsSandbox(pid)) Kill(pid, signal);
    }

    private static bool IsSandbox(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/comm").Trim() == "bwrap"; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>Processes that belong to the workspace: in the leader's group or session, or with <paramref name="taskMarker"/> (e.g. <c>CATALYST_TASK_ID=…</c>) in their environment.</summary>
    public static IReadOnlyList<int> Find(int leader, string taskMarker)
    {
        var found = new List<int>();
        var marker = Encoding.UTF8.GetBytes(taskMarker + "\0");
        var self = Environment.ProcessId;
        IEnumerable<string> entries;
        try { entries = Directory.EnumerateDirectories("/proc"); }
        catch (IOException) { return found; }
        foreach (var entry in entries)
        {
            if (!int.TryParse(Path.GetFileName(entry), out var pid) || pid == self || pid <= 1) continue;
            var (group, session, zombie) = ReadStat(pid);
            if (zombie) continue;
            if (leader > 1 && (group == leader || session == leader)) found.Add(pid);
            else if (EnvironmentContains(pid, marker)) found.Add(pid);
        }
        return found;
    }

    /// <summary>Processes whose environment holds <paramref name="marker"/> (e.g. <c>CATALYST_WORKSPACE=/data/workspaces/</c>, a prefix).</summary>
    public static IReadOnlyList<int> FindByEnvironment(string marker)
    {
        var bytes = Encoding.UTF8.GetBytes(marker);
        var found = new List<int>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var pid) || pid == Environment.ProcessId || pid <= 1) continue;
            if (!ReadStat(pid).Zombie && EnvironmentContains(pid, bytes)) found.Add(pid);
        }
        return found;
    }

    public static void KillAll(IEnumerable<int> pids)
    {
        foreach (var pid in pids) Kill(pid, SIGKILL);
    }

    private static (int Group, int Session, bool Zombie) ReadStat(int pid)
    {
        try
        {
            // pid (comm) state ppid pgrp session ...; comm may hold spaces and parentheses: read after the last ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (int.Parse(fields[2]), int.Parse(fields[3]), fields[0] == "Z");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return (0, 0, true);
        }
    }

    private static bool EnvironmentContains(int pid, byte[] marker)
    {
        try
        {
            var environ = File.ReadAllBytes($"/proc/{pid}/environ");
            // Match at the start of a variable only.
            for (var at = environ.AsSpan().IndexOf(marker); at >= 0;)
            {
                var absolute = at;
                if (absolute == 0 || environ[absolute - 1] == 0) return true;
                var next = environ.AsSpan(absolute + 1).IndexOf(marker);
                at = next < 0 ? -1 : absolute + 1 + next;
            }
            return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
