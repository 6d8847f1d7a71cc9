using Catalyst.Contracts;
using Microsoft.Extensions.Configuration;

namespace Catalyst.Operator;

/// <summary>How the local backend runs workspaces on this machine.</summary>
public sealed record LocalWorkspaceOptions
{
    /// <summary>One directory per task is created under here (<c>&lt;data dir&gt;/workspaces</c>).</summary>
    public required string WorkspacesDirectory { get; init; }

    /// <summary>The directory holding <c>entrypoint.sh</c>; null when it could not be found (provisioning then fails with a clear error).</summary>
    public string? RunnerDirectory { get; init; }

    /// <summary>Between SIGTERM and SIGKILL when a workspace is stopped (cancel, timeout, shutdown).</summary>
    public TimeSpan StopGrace { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Leave the workspace directory in place after the task ends (for debugging).</summary>
    public bool KeepWorkspaces { get; init; }

    /// <summary>
    /// The projects' repository caches (bare mirrors a task's clone borrows its objects from), <c>&lt;data dir&gt;/repositories</c>
    /// unless <c>Catalyst:Workspaces:RepositoryCache</c> names another directory or is <c>off</c>; null: every task clones in full.
    /// </summary>
    public string? RepositoryCacheDirectory { get; init; }

    /// <summary>How long a task waits for another task's fetch of the same cache before it clones in full instead.</summary>
    public TimeSpan RepositoryCacheWait { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Put before the safe default PATH of the agent: where the agent CLIs are installed.</summary>
    public IReadOnlyList<string> ToolDirectories { get; init; } = [];

    /// <summary>
    /// Every workspace runs in a bubblewrap sandbox (on, the default). Off (<c>Catalyst:Workspaces:Sandbox=off</c>):
    /// agents run as the Host's user with the Host's view of the machine; only for a machine that is itself the sandbox.
    /// </summary>
    public bool Sandbox { get; init; } = true;

    /// <summary>The bubblewrap program (<c>Catalyst:Workspaces:Bubblewrap</c>; default: bwrap on the system PATH).</summary>
    public string BubblewrapPath { get; init; } = Catalyst.Operator.Sandbox.Programs.Find("bwrap");

    /// <summary>The first user id workspaces run as when the Host is root (one user per running workspace).</summary>
    public int SandboxUidBase { get; init; } = DefaultSandboxUidBase;

    public const int DefaultSandboxUidBase = 3_000_000;

    /// <summary>The broker's Unix socket, bind-mounted into each sandbox as its one door out.</summary>
    public string? BrokerSocket { get; init; }

    /// <summary>More directories the sandbox sees read-only (tools outside /usr, say); the CLI cache and tool directories always are.</summary>
    public IReadOnlyList<string> SandboxReadOnlyPaths { get; init; } = [];

    /// <summary>Memory, CPU and process limits of a workspace, unless its project sets its own.</summary>
    public Sandbox.ResourceLimits Limits { get; init; } = Catalyst.Operator.Sandbox.ResourceLimits.Default;

    /// <summary>
    /// The agent CLIs installed on first use, one directory per <c>&lt;package&gt;@&lt;version&gt;</c> (the layout of
    /// scripts/install-agent-clis.sh, so its cache can be used as it is). Default <c>agent-clis</c> beside
    /// <see cref="WorkspacesDirectory"/>, i.e. <c>&lt;data dir&gt;/agent-clis</c>.
    /// </summary>
    public string CliCacheDirectory
    {
        get => field ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(WorkspacesDirectory)) ?? WorkspacesDirectory, "agent-clis");
        init;
    }

    /// <summary>The npm registry CLIs are installed from (<c>--registry</c>); null: npm's own configuration.</summary>
    public string? NpmRegistry { get; init; }

    /// <summary>The Python package index CLIs are installed from (<c>--index-url</c>); null: pip's own configuration.</summary>
    public string? PipIndexUrl { get; init; }

    /// <summary>How long installing one CLI may take. It is not counted in the task's time limit, which starts with the runner.</summary>
    public TimeSpan CliInstallTimeout { get; init; } = TimeSpan.FromMinutes(10);

    public const string SafePath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public string EntrypointPath => Path.Combine(RunnerDirectory ?? "", "entrypoint.sh");

    /// <summary>
    /// From configuration: the data directory (CATALYST_DATA_DIR or Catalyst:DataDirectory), Catalyst:RunnerDirectory,
    /// Catalyst:Workspaces:StopGraceSeconds, Catalyst:Workspaces:KeepWorkspaces, RepositoryCache (a directory, or off) and RepositoryCacheWaitSeconds, Catalyst:Workspaces:ToolDirectories
    /// (colon-separated), Catalyst:Workspaces:Sandbox (on|off), SandboxUidBase, SandboxReadOnlyPaths, MemoryMiB, Cpus, Processes; Catalyst:Broker:Socket. The data directory's <c>agent-clis/node_modules/.bin</c> and <c>agent-clis/bin</c> are always on PATH.
    /// Installing CLIs on first use: Catalyst:Workspaces:CliCache, NpmRegistry, PipIndexUrl and CliInstallTimeoutSeconds.
    /// </summary>
    public static LocalWorkspaceOptions FromConfiguration(IConfiguration configuration)
    {
        var dataDirectory = CatalystPaths.DataDirectory(configuration);
        var section = configuration.GetSection("Catalyst:Workspaces");
        var grace = section.GetValue<double?>("StopGraceSeconds") ?? 10;
        var tools = (section["ToolDirectories"] ?? "")
            .Split(':', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(Path.GetFullPath)
            .Concat([Path.Combine(dataDirectory, "agent-clis", "node_modules", ".bin"), Path.Combine(dataDirectory, "agent-clis", "bin")])
            .ToArray();
        return new LocalWorkspaceOptions
        {
            WorkspacesDirectory = Path.Combine(dataDirectory, "workspaces"),
            RunnerDirectory = FindRunnerDirectory(configuration["Catalyst:RunnerDirectory"], configuration[Microsoft.Extensions.Hosting.HostDefaults.ContentRootKey]),
            StopGrace = TimeSpan.FromSeconds(Math.Max(1, grace)),
            KeepWorkspaces = section.GetValue<bool?>("KeepWorkspaces") ?? false,
            RepositoryCacheDirectory = section["RepositoryCache"] switch
            {
                { Length: > 0 } off when off.Equals("off", StringComparison.OrdinalIgnoreCase) => null,
                { Length: > 0 } directory => Path.GetFullPath(directory),
                _ => Path.Combine(dataDirectory, "repositories"),
            },
            RepositoryCacheWait = TimeSpan.FromSeconds(Math.Max(1, section.GetValue<double?>("RepositoryCacheWaitSeconds") ?? 60)),
            ToolDirectories = tools,
            Sandbox = !string.Equals(section["Sandbox"], "off", StringComparison.OrdinalIgnoreCase),
            SandboxUidBase = section.GetValue<int?>("SandboxUidBase") ?? DefaultSandboxUidBase,
            BubblewrapPath = section["Bubblewrap"] is { Length: > 0 } bwrap ? Path.GetFullPath(bwrap) : Catalyst.Operator.Sandbox.Programs.Find("bwrap"),
            BrokerSocket = BrokerPaths.Socket(configuration),
            SandboxReadOnlyPaths = (section["SandboxReadOnlyPaths"] ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Path.GetFullPath).ToArray(),
            Limits = new Sandbox.ResourceLimits(
                section.GetValue<int?>("MemoryMiB") ?? Catalyst.Operator.Sandbox.ResourceLimits.Default.MemoryMiB,
                section.GetValue<double?>("Cpus"),
                section.GetValue<int?>("Processes") ?? Catalyst.Operator.Sandbox.ResourceLimits.Default.Processes),
            CliCacheDirectory = Path.GetFullPath(section["CliCache"] is { Length: > 0 } cache ? cache : Path.Combine(dataDirectory, "agent-clis")),
            NpmRegistry = section["NpmRegistry"] is { Length: > 0 } registry ? registry : null,
            PipIndexUrl = section["PipIndexUrl"] is { Length: > 0 } index ? index : null,
            CliInstallTimeout = TimeSpan.FromSeconds(Math.Max(10, section.GetValue<double?>("CliInstallTimeoutSeconds") ?? 600)),
        };
    }

    /// <summary>The configured directory, else the first <c>runner/entrypoint.sh</c> found walking up from the app's base directory, the content root or the current directory.</summary>
    public static string? FindRunnerDirectory(string? configured, string? contentRoot = null)
    {
        if (!string.IsNullOrWhiteSpace(configured)) return Path.GetFullPath(configured);
        foreach (var start in new[] { AppContext.BaseDirectory, contentRoot, Directory.GetCurrentDirectory() })
        {
            for (var dir = string.IsNullOrWhiteSpace(start) ? null : new DirectoryInfo(Path.GetFullPath(start)); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "runner");
                if (File.Exists(Path.Combine(candidate, "entrypoint.sh"))) return candidate;
            }
        }
        return null;
    }
}
