namespace Catalyst.Operator.Sandbox;

/// <summary>
/// The bubblewrap command line that runs the sandboxed part of the runner: its own PID, network, IPC and UTS
/// namespaces, a read-only view of the system, and of the Host's files only the task's own workspace (writable), the
/// runner, the agent CLIs and the broker's socket. As root it switches to the workspace's own user with every
/// capability dropped; otherwise a user namespace keeps the Host's user, with no capability.
/// </summary>
public static class SandboxCommand
{
    /// <summary>Where the broker's socket (and the egress proxy's) appear inside the sandbox.</summary>
    public const string BrokerSocketInside = "/run/catalyst/broker.sock";
    public const string EgressSocketInside = "/run/catalyst/egress.sock";

    /// <summary>The loopback ports inside the sandbox that lead to the broker and to the egress proxy.</summary>
    public const int BrokerPort = 8400;
    public const int EgressPort = 8401;

    public sealed record Layout(
        string Workspace,
        IReadOnlyList<string> WritableDirectories,
        IReadOnlyList<string> ReadOnlyFiles,
        IReadOnlyList<string> ReadOnlyDirectories,
        string PasswdFile,
        string GroupFile,
        string? BrokerSocket,
        string? EgressSocket,
        string InnerScript);

    public static IReadOnlyList<string> Build(string bubblewrap, Layout layout, int? uid, string hostname, int? processLimit)
    {
        var argv = new List<string>
        {
            bubblewrap,
            "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            // The sandbox dies with the runner; its own session keeps it off the Host's terminal.
            "--die-with-parent", "--new-session",
            "--hostname", hostname,
        };
        if (uid is null) argv.AddRange(["--unshare-user", "--cap-drop", "ALL"]);
        argv.AddRange(SystemView());
        argv.AddRange(["--ro-bind", "/etc", "/etc", "--ro-bind", layout.PasswdFile, "/etc/passwd", "--ro-bind", layout.GroupFile, "/etc/group"]);
        argv.AddRange(["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp", "--tmpfs", "/run", "--perms", "1777", "--tmpfs", "/var/tmp"]);
        // bubblewrap makes missing parents of a mount point 0700 and root's: the workspace's user could not pass them.
        var made = new HashSet<string>(StringComparer.Ordinal) { "/", "/tmp", "/run", "/var/tmp" };
        void Parents(string path)
        {
            var parent = Path.GetDirectoryName(path);
            if (parent is null || made.Contains(parent)) return;
            Parents(parent);
            made.Add(parent);
            argv.AddRange(["--perms", "0755", "--dir", parent]);
        }
        void Bind(string option, string path)
        {
            Parents(path);
            argv.AddRange([option, path, path]);
        }
        foreach (var dir in layout.ReadOnlyDirectories.Where(Directory.Exists).Distinct()) Bind("--ro-bind", dir);
        foreach (var dir in layout.WritableDirectories) Bind("--bind", dir);
        foreach (var file in layout.ReadOnlyFiles.Where(File.Exists)) Bind("--ro-bind", file);
        if (layout.BrokerSocket is { } broker && File.Exists(broker))
        {
            Parents(BrokerSocketInside);
            argv.AddRange(["--bind", broker, BrokerSocketInside]);
        }
        if (layout.EgressSocket is { } egress)
        {
            Parents(EgressSocketInside);
            argv.AddRange(["--bind", egress, EgressSocketInside]);
        }
        argv.AddRange(["--chdir", layout.Workspace, "--"]);
        if (uid is { } id)
        {
            // RLIMIT_NPROC counts the processes of a user: the workspace's user is its own, so this is the workspace's.
            if (processLimit is { } limit) argv.AddRange([Programs.Find("prlimit"), $"--nproc={limit}", "--"]);
            argv.AddRange([Programs.Find("setpriv"), $"--reuid={id}", $"--regid={id}", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]);
        }
        argv.AddRange([Programs.Find("bash"), layout.InnerScript]);
        return argv;
    }

    /// <summary>The system's programs and libraries, read-only: /usr, and /bin, /lib… as the links or directories they are here.</summary>
    public static IEnumerable<string> SystemView()
    {
        yield return "--ro-bind";
        yield return "/usr";
        yield return "/usr";
        foreach (var top in new[] { "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32" })
        {
            var info = new FileInfo(top);
            if (info.LinkTarget is { } target)
            {
                yield return "--symlink";
                yield return target;
                yield return top;
            }
            else if (Directory.Exists(top))
            {
                yield return "--ro-bind";
                yield return top;
                yield return top;
            }
        }
    }

    /// <summary>The system's passwd and group with the workspace's user added, so that tools asking who they are get an answer.</summary>
    public static (string Passwd, string Group) Identity(int uid, string home)
    {
        static string Read(string path) => File.Exists(path) ? File.ReadAllText(path).TrimEnd('\n') + "\n" : "";
        return (Read("/etc/passwd") + $"agent:x:{uid}:{uid}:Catalyst workspace:{home}:/bin/bash\n", Read("/etc/group") + $"agent:x:{uid}:\n");
    }
}

/// <summary>Programs the backend runs, looked up on the safe system PATH only.</summary>
public static class Programs
{
    public static string Find(string name) =>
        LocalWorkspaceOptions.SafePath.Split(':').Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists) ?? name;

    public static bool Exists(string name) => LocalWorkspaceOptions.SafePath.Split(':').Any(dir => File.Exists(Path.Combine(dir, name)));
}
