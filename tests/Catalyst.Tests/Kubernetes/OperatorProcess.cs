using System.Diagnostics;
using System.Text;
using Catalyst.KubernetesLoopback;
using Catalyst.Tests.Infrastructure;

namespace Catalyst.Tests.Kubernetes;

/// <summary>
/// The operator as `dotnet run --project src/Operator` starts it: its own process, KUBECONFIG pointing at the loopback
/// API server, the Host's PostgreSQL for the queue on which it sends the Host what its workspaces do.
/// </summary>
public sealed class OperatorProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private OperatorProcess(Process process) => _process = process;

    public string Output { get { lock (_output) return _output.ToString(); } }

    public int Id => _process.Id;

    public static OperatorProcess Start(LoopbackApiServer server, string connectionString, IReadOnlyDictionary<string, string>? settings = null)
    {
        var directory = Path.Combine(HostProcess.RepositoryRoot(), "src", "Operator", "bin", HostProcess.Configuration, "net10.0");
        if (!File.Exists(Path.Combine(directory, "Catalyst.Operator.dll"))) throw new InvalidOperationException($"Build the operator first: {directory}");
        var start = new ProcessStartInfo("dotnet", [Path.Combine(directory, "Catalyst.Operator.dll")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = directory,
        };
        start.Environment["KUBECONFIG"] = server.KubeconfigPath;
        start.Environment["ConnectionStrings__catalyst"] = connectionString;
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        // Quick enough for a test: the lease is taken within a second, a stuck pod is given up on after StartTimeoutSeconds.
        start.Environment["Catalyst__Operator__LeaseNamespace"] = OperatorHarness.HostNamespace;
        start.Environment["Catalyst__Operator__LeaseDurationSeconds"] = "3";
        start.Environment["Catalyst__Operator__RenewDeadlineSeconds"] = "2";
        start.Environment["Catalyst__Operator__RetryPeriodSeconds"] = "0.3";
        start.Environment["Catalyst__Operator__TerminationGraceSeconds"] = "10";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) start.Environment[key] = value;
        var started = new OperatorProcess(Process.Start(start)!);
        started._process.OutputDataReceived += (_, e) => { lock (started._output) started._output.AppendLine(e.Data); };
        started._process.ErrorDataReceived += (_, e) => { lock (started._output) started._output.AppendLine(e.Data); };
        started._process.BeginOutputReadLine();
        started._process.BeginErrorReadLine();
        return started;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            using (var stop = Process.Start("kill", ["-TERM", _process.Id.ToString()])) await stop.WaitForExitAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try { await _process.WaitForExitAsync(timeout.Token); }
            catch (OperationCanceledException) { _process.Kill(entireProcessTree: true); }
        }
        _process.Dispose();
    }
}
