using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Catalyst.Tests.Workspaces;

namespace Catalyst.Tests.Sandbox;

/// <summary>
/// The attacker's probe (probe.sh) and what it is pointed at: the Host's data directory, PostgreSQL, the Host's own
/// process, another task's workspace, a loopback port of the Host's, the broker's TCP port and this machine's own
/// non-loopback address (connecting to it never leaves the machine). Each attempt must fail, for the right reason.
/// </summary>
public sealed partial class ProbeRun : IDisposable
{
    private readonly TcpListener _loopback = new(IPAddress.Loopback, 0);

    public ProbeRun()
    {
        _loopback.Start();
        Script = Path.Combine(WorkspaceSandbox.AgentsDirectory, "probe.sh");
        Directory.CreateDirectory(WorkspaceSandbox.AgentsDirectory);
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Sandbox", "probe.sh"), Script, overwrite: true);
    }

    public string Script { get; }

    /// <summary>The probe's command line.</summary>
    public string Command(string dataDirectory, string postgresDirectory, string otherWorkspace, int brokerPort) =>
        $"bash {Script} '{dataDirectory}' 5432 {Environment.ProcessId} '{otherWorkspace}' {((IPEndPoint)_loopback.LocalEndpoint).Port} {brokerPort} {OutsideAddress()} '{postgresDirectory}'";

    /// <summary>What stopped each attempt, by name, from the probe's output lines (wherever they were logged).</summary>
    public static IReadOnlyDictionary<string, string> Results(IEnumerable<string> lines)
    {
        var results = new Dictionary<string, string>();
        foreach (var line in lines)
            if (ProbeLine().Match(line) is { Success: true } m) results[m.Groups[1].Value] = m.Groups[2].Value;
        return results;
    }

    private static readonly Dictionary<string, string> Reasons = new()
    {
        ["key-file"] = "No such file or directory",
        ["postgres-dir"] = "No such file or directory",
        ["postgres-tcp"] = "Connection refused",
        ["other-workspace"] = "No such file or directory",
        ["host-environ"] = "No such file or directory",
        ["kill-host"] = "No such process",
        ["loopback-port"] = "Connection refused",
        ["broker-tcp-port"] = "Connection refused",
        ["outside-address"] = "Network is unreachable",
    };

    /// <summary>Every attempt failed, each for the reason that shows the boundary held; the sandbox shows a handful of processes and no root.</summary>
    public static void ShouldAllBeBlocked(IReadOnlyDictionary<string, string> results, string where)
    {
        foreach (var (name, reason) in Reasons)
        {
            results.TryGetValue(name, out var result).ShouldBeTrue($"{where}: the probe printed nothing for {name}");
            result.ShouldStartWith("blocked: ", Case.Sensitive, $"{where}: {name}: {result}");
            result.ShouldContain(reason, Case.Sensitive, $"{where}: {name}: {result}");
        }
        // The data directory's path exists only as the empty frame of the workspace's own mount: nothing of the Host's in it.
        results.TryGetValue("data-dir", out var data).ShouldBeTrue($"{where}: the probe printed nothing for data-dir");
        data!.ShouldNotContain("encryption-keys", Case.Sensitive, $"{where}: {data}");
        data.ShouldNotContain("postgres", Case.Sensitive, $"{where}: {data}");
        int.Parse(results["processes"].Split(' ')[0]).ShouldBeLessThan(30, $"{where}: {results["processes"]}");
        if (Environment.IsPrivilegedProcess) results["user"].ShouldNotStartWith("0 ", Case.Sensitive, where);
    }

    /// <summary>This machine's first non-loopback IPv4 address (connecting to it stays on the machine), or a documentation address.</summary>
    private static string OutsideAddress() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))?.ToString() ?? "192.0.2.1";

    [GeneratedRegex(@"^probe ([a-z-]+): (.*)$")]
    private static partial Regex ProbeLine();

    public void Dispose() => _loopback.Stop();
}
