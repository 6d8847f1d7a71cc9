using System.Diagnostics;

namespace Catalyst.Operator.Sandbox;

/// <summary>
/// At start-up: can this machine run workspaces in their sandbox? The local backend refuses to start when it cannot
/// (unless <c>Catalyst:Workspaces:Sandbox=off</c> says so explicitly), with what to install or enable.
/// </summary>
public static class SandboxCheck
{
    public static string? Problem(LocalWorkspaceOptions options)
    {
        if (!OperatingSystem.IsLinux()) return "Workspace sandboxes need Linux (bubblewrap and namespaces).";
        var missing = new List<string>();
        if (!File.Exists(options.BubblewrapPath)) missing.Add("bubblewrap");
        if (!Programs.Exists("socat")) missing.Add("socat");
        if (Environment.IsPrivilegedProcess && !Programs.Exists("setpriv")) missing.Add("util-linux (setpriv)");
        if (missing.Count > 0)
            return $"Workspace sandboxes need {string.Join(" and ", missing)}, which {(missing.Count == 1 ? "is" : "are")} not installed. " +
                $"Install {(missing.Count == 1 ? "it" : "them")} (Debian/Ubuntu: apt-get install bubblewrap socat), " + OffHint;

        // A real sandbox, the way workspaces get theirs: namespaces (a user namespace unless root) and the mounts.
        var start = new ProcessStartInfo(options.BubblewrapPath) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { "--unshare-pid", "--unshare-net", "--unshare-ipc", "--die-with-parent" }.Concat(SandboxCommand.SystemView()).Concat(["--proc", "/proc", "--dev", "/dev"]))
            start.ArgumentList.Add(arg);
        if (!Environment.IsPrivilegedProcess) { start.ArgumentList.Add("--unshare-user"); start.ArgumentList.Add("--cap-drop"); start.ArgumentList.Add("ALL"); }
        start.ArgumentList.Add("--");
        start.ArgumentList.Add(Programs.Find("true"));
        try
        {
            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                process.Kill(entireProcessTree: true);
                return "bubblewrap did not start a test sandbox within 10 seconds. " + OffHint;
            }
            if (process.ExitCode != 0)
                return $"bubblewrap could not start a test sandbox: {stderr.Result.Trim()}. " +
                    (Environment.IsPrivilegedProcess ? "" : "Enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1 and user.max_user_namespaces > 0), or run Catalyst as root so it can give each workspace its own user. ") +
                    OffHint;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return $"bubblewrap could not be run ({e.Message}). " + OffHint;
        }
        return null;
    }

    private const string OffHint =
        "Or set Catalyst__Workspaces__Sandbox=off to run agents without isolation (they can then read everything the Catalyst process can, including every user's keys): only on a machine that is itself the sandbox.";
}
