using Catalyst.Tasks.Domain;
using Microsoft.Extensions.Configuration;

namespace Catalyst.Tasks.Nodes;

/// <summary>
/// This Host among the Hosts that share one database. Its id is <c>Catalyst:Node:Id</c> (env <c>Catalyst__Node__Id</c>),
/// otherwise one generated on first start and kept in the data directory's <c>node-id</c> file, so a restarted Host is
/// the same node and settles the tasks it left. Two Hosts must not share an id (nor, without one set, a data directory).
/// </summary>
public sealed class CatalystNode
{
    public const string IdKey = "Catalyst:Node:Id";
    public const string HeartbeatTimeoutKey = "Catalyst:Node:HeartbeatTimeoutSeconds";
    public const string IdFileName = "node-id";
    public const int MaxIdLength = 100;

    public CatalystNode(IConfiguration configuration)
    {
        Id = configuration[IdKey] is { } configured && !string.IsNullOrWhiteSpace(configured)
            ? Checked(configured.Trim(), IdKey)
            : FromFile(Path.Combine(CatalystPaths.DataDirectory(configuration), IdFileName));
        HeartbeatTimeout = TimeSpan.FromSeconds(Math.Clamp(configuration.GetValue<double?>(HeartbeatTimeoutKey) ?? 60, 1, 24 * 3600));
        // Several beats within the timeout, so one slow write does not make a live node look dead.
        HeartbeatInterval = TimeSpan.FromSeconds(Math.Clamp(HeartbeatTimeout.TotalSeconds / 4, 0.25, 10));
        RunsLocalWorkspaces = !string.Equals(configuration["Catalyst:Workspaces:Backend"], "kubernetes", StringComparison.OrdinalIgnoreCase);
    }

    public CatalystNode(string id, TimeSpan heartbeatTimeout, bool runsLocalWorkspaces = true)
    {
        Id = Checked(id, nameof(id));
        HeartbeatTimeout = heartbeatTimeout;
        HeartbeatInterval = TimeSpan.FromSeconds(Math.Clamp(heartbeatTimeout.TotalSeconds / 4, 0.25, 10));
        RunsLocalWorkspaces = runsLocalWorkspaces;
    }

    public string Id { get; }

    /// <summary>When this process became the node: workspaces asked for before are a previous run's.</summary>
    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>A node whose last heartbeat is older than this is taken as dead (<c>Catalyst:Node:HeartbeatTimeoutSeconds</c>, default 60).</summary>
    public TimeSpan HeartbeatTimeout { get; }

    public TimeSpan HeartbeatInterval { get; }

    /// <summary>
    /// Workspaces run as this Host's processes (the local backend): a task's workspace is reached only through its node.
    /// With the Kubernetes backend every node reaches every workspace through the cluster.
    /// </summary>
    public bool RunsLocalWorkspaces { get; }

    /// <summary>
    /// This node reaches the task's workspace itself: the workspaces are the cluster's, or the task's workspace is this
    /// node's (or was asked for before nodes were recorded).
    /// </summary>
    public bool Reaches(AgentTask task) => !RunsLocalWorkspaces || task.Node is null || task.Node == Id;

    private static string FromFile(string path)
    {
        if (File.Exists(path) && File.ReadAllText(path).Trim() is { Length: > 0 } kept) return Checked(kept, path);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var id = $"{Environment.MachineName.ToLowerInvariant()}-{Guid.NewGuid().ToString("N")[..8]}";
        id = id.Length <= MaxIdLength ? id : id[^MaxIdLength..];
        File.WriteAllText(path, id + "\n");
        return id;
    }

    private static string Checked(string id, string source) =>
        id.Length <= MaxIdLength && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
            ? id
            : throw new InvalidOperationException($"The node id from {source} must be 1 to {MaxIdLength} letters, digits, '-', '_' or '.'.");
}
