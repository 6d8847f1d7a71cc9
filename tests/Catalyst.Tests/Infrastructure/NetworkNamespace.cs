using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Catalyst.Tests.Infrastructure;

/// <summary>
/// A named Linux network namespace with nothing in it but loopback (root only). A stand-in server listens inside it
/// (<see cref="ListenOnLoopback"/>), and the agent runs inside it (nsenter): the agent can reach that server and
/// nothing else, so any call it makes to the outside world fails instead of leaving the machine.
/// </summary>
public sealed class NetworkNamespace : IDisposable
{
    private const int CloneNewNet = 0x40000000;

    private NetworkNamespace(string name) => Name = name;

    public string Name { get; }

    /// <summary>The namespace's file, for <c>nsenter --net=...</c> and Catalyst:Workspaces:NetworkNamespace.</summary>
    public string Path => $"/var/run/netns/{Name}";

    public static bool Supported { get; } = Probe();

    public static NetworkNamespace Create()
    {
        var name = $"catalyst-{Guid.NewGuid():N}"[..20];
        Ip("netns", "add", name);
        var ns = new NetworkNamespace(name);
        try
        {
            Ip("-n", name, "link", "set", "lo", "up");
        }
        catch
        {
            ns.Dispose();
            throw;
        }
        return ns;
    }

    /// <summary>A listening TCP socket on 127.0.0.1 inside the namespace: its file descriptor (for Kestrel's ListenHandle) and port.</summary>
    public (ulong Handle, int Port) ListenOnLoopback()
    {
        (ulong, int)? result = null;
        Exception? failure = null;
        // Namespaces belong to threads: switch one thread of ours in, make the socket there, switch back.
        var thread = new Thread(() =>
        {
            try
            {
                using var home = File.OpenHandle("/proc/thread-self/ns/net");
                using var target = File.OpenHandle(Path);
                if (SetNs((int)target.DangerousGetHandle(), CloneNewNet) != 0) throw new InvalidOperationException($"setns into {Name} failed: errno {Marshal.GetLastPInvokeError()}");
                try
                {
                    using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                    socket.Listen(512);
                    // Kestrel owns (and closes) a copy; this one closes here.
                    var copy = Dup((int)socket.Handle);
                    if (copy < 0) throw new InvalidOperationException($"dup failed: errno {Marshal.GetLastPInvokeError()}");
                    result = ((ulong)copy, ((IPEndPoint)socket.LocalEndPoint!).Port);
                }
                finally
                {
                    if (SetNs((int)home.DangerousGetHandle(), CloneNewNet) != 0) Environment.FailFast("could not leave the test network namespace");
                }
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null) throw failure;
        return result!.Value;
    }

    /// <summary><paramref name="argv"/> run inside the namespace.</summary>
    public IReadOnlyList<string> Wrap(IReadOnlyList<string> argv) => ["/usr/bin/nsenter", $"--net={Path}", "--", .. argv];

    public void Dispose()
    {
        try { Ip("netns", "delete", Name); }
        catch (InvalidOperationException) { }
    }

    private static bool Probe()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root" || !File.Exists("/usr/bin/nsenter")) return false;
        try
        {
            using var ns = Create();
            return true;
        }
        catch (Exception)
        {
            return false;
        }
    }

    private static void Ip(params string[] args)
    {
        var start = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"ip {string.Join(' ', args)}: {error}");
    }

    [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static extern int SetNs(int fd, int nstype);

    [DllImport("libc", EntryPoint = "dup", SetLastError = true)]
    private static extern int Dup(int fd);
}
