using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Catalyst.Tests.Infrastructure;

/// <summary>The Host as `dotnet run` starts it: its own process, no connection string, so it starts and stops its own PostgreSQL.</summary>
public sealed class HostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _output = new();

    private HostProcess(Process process) => _process = process;

    public string Output { get { lock (_output) return _output.ToString(); } }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <param name="environment">Extra environment variables (settings) for the Host.</param>
    /// <param name="hostDirectory">Where Catalyst.Host.dll is (a published build); default: the Host's build output.</param>
    public static async Task<HostProcess> StartAsync(string dataDirectory, int port, IReadOnlyDictionary<string, string>? environment = null, string? hostDirectory = null)
    {
        hostDirectory ??= HostBuildOutput();
        var start = new ProcessStartInfo("dotnet", [Path.Combine(hostDirectory, "Catalyst.Host.dll")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = hostDirectory,
        };
        start.Environment.Remove("ConnectionStrings__Catalyst");
        // The key file of the data directory, as on a fresh install.
        start.Environment.Remove("Catalyst__EncryptionKey");
        start.Environment.Remove("Catalyst__EncryptionKeyFile");
        start.Environment["CATALYST_DATA_DIR"] = dataDirectory;
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        var host = new HostProcess(Process.Start(start)!);
        host._process.OutputDataReceived += (_, e) => { lock (host._output) host._output.AppendLine(e.Data); };
        host._process.ErrorDataReceived += (_, e) => { lock (host._output) host._output.AppendLine(e.Data); };
        host._process.BeginOutputReadLine();
        host._process.BeginErrorReadLine();

        using var http = new HttpClient();
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (host._process.HasExited) throw new InvalidOperationException($"The Host exited ({host._process.ExitCode}):\n{host.Output}");
            try
            {
                if ((await http.GetAsync($"http://127.0.0.1:{port}/health/ready")).IsSuccessStatusCode) return host;
            }
            catch (HttpRequestException) { }
            await Task.Delay(250);
        }
        throw new TimeoutException($"The Host did not become ready:\n{host.Output}");
    }

    /// <summary>The Host's own build output (same configuration as these tests), as `dotnet run --project src/Host` runs it.</summary>
    private static string HostBuildOutput()
    {
        var directory = Path.Combine(RepositoryRoot(), "src", "Host", "bin", Configuration, "net10.0");
        return File.Exists(Path.Combine(directory, "Catalyst.Host.dll")) ? directory : throw new InvalidOperationException($"Build the Host first: {directory}");
    }

    /// <summary>The configuration these tests were built in (Release or Debug).</summary>
    public static string Configuration => AppContext.BaseDirectory.Contains("/bin/Release/") ? "Release" : "Debug";

    /// <summary>The checkout these tests run from (the directory of Catalyst.sln).</summary>
    public static string RepositoryRoot()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Catalyst.sln"))) root = root.Parent;
        return root?.FullName ?? throw new InvalidOperationException("Catalyst.sln not found");
    }

    /// <summary>kill -9, as a crash or the OOM killer ends it: the Host ends at once, without its shutdown (its agents, in their own sessions, are not told).</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited) return;
        using (var kill = Process.Start("kill", ["-KILL", _process.Id.ToString()])) await kill!.WaitForExitAsync();
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // Ctrl-C, as a person stops it: the Host must stop its PostgreSQL on the way out.
            using (var kill = Process.Start("kill", ["-INT", _process.Id.ToString()])) await kill.WaitForExitAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try { await _process.WaitForExitAsync(timeout.Token); }
            catch (OperationCanceledException) { _process.Kill(entireProcessTree: true); }
        }
        _process.Dispose();
    }
}
