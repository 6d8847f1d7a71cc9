using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Catalyst.Operator.Kubernetes;

/// <summary>The operator's settings (<c>Catalyst:Operator:*</c>, environment <c>Catalyst__Operator__*</c>).</summary>
public sealed record KubernetesOperatorOptions
{
    /// <summary>Only Environments of this namespace; null: every namespace.</summary>
    public string? WatchNamespace { get; init; }

    /// <summary>gVisor (<c>gvisor</c>), Kata (<c>kata</c>) or none: the Job's <c>runtimeClassName</c>.</summary>
    public string? RuntimeClassName { get; init; }

    /// <summary>How long a pod may wait for its image or a node before the task fails with the cluster's reason.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>A finished Job (and its pod) is removed by the cluster this long after it ends.</summary>
    public int JobTtlSecondsAfterFinished { get; init; } = 3600;

    /// <summary>What the runner gets after SIGTERM (cancel, deadline) to commit and push what the agent made.</summary>
    public int TerminationGraceSeconds { get; init; } = 60;

    /// <summary>The size of a plan-first task's kept workspace (its PersistentVolumeClaim).</summary>
    public string WorkspaceStorage { get; init; } = "10Gi";

    /// <summary>The StorageClass of that claim; null: the cluster's default.</summary>
    public string? WorkspaceStorageClassName { get; init; }

    /// <summary>The workspace's memory limit when its project sets none.</summary>
    public string DefaultMemoryLimit { get; init; } = "2Gi";

    /// <summary>Labels of the pods behind the broker's Service (the Host): the only destination a workspace may reach besides DNS.</summary>
    public IReadOnlyDictionary<string, string> BrokerPodLabels { get; init; } = new Dictionary<string, string> { ["app.kubernetes.io/name"] = "catalyst-host" };

    /// <summary>The broker pods' namespace; null: the Environment's own namespace.</summary>
    public string? BrokerNamespace { get; init; }

    /// <summary>
    /// Labels of the egress proxy's pods, reached (on the port of the Environment's proxy address only) by a workspace whose
    /// project allows hosts: the Host's, which serve the proxy beside the broker, unless set apart.
    /// </summary>
    public IReadOnlyDictionary<string, string> EgressProxyPodLabels { get; init; } = new Dictionary<string, string> { ["app.kubernetes.io/name"] = "catalyst-host" };

    public string LeaseNamespace { get; init; } = "catalyst";
    public string LeaseName { get; init; } = "catalyst-operator";
    public string Identity { get; init; } = $"{System.Environment.MachineName}-{Guid.NewGuid():N}";
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);
    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Parallel reconciles.</summary>
    public int Workers { get; init; } = 4;

    /// <summary>
    /// A directory on each node for the projects' repository caches (a <c>hostPath</c> volume), owned by the runner's user
    /// (1000); null: every pod clones in full. A pod's init container fetches the cache, and the runner's container,
    /// where the agent runs too, clones from it read-only (see docs/kubernetes.md).
    /// </summary>
    public string? RepositoryCacheHostPath { get; init; }

    public static KubernetesOperatorOptions FromConfiguration(IConfiguration configuration)
    {
        var section = configuration.GetSection("Catalyst:Operator");
        var defaults = new KubernetesOperatorOptions();
        return new KubernetesOperatorOptions
        {
            WatchNamespace = Blank(section["WatchNamespace"]),
            RuntimeClassName = Blank(section["RuntimeClassName"]) ?? Blank(configuration["Catalyst:Workspaces:Kubernetes:RuntimeClassName"]),
            StartTimeout = Seconds(section["StartTimeoutSeconds"]) ?? defaults.StartTimeout,
            JobTtlSecondsAfterFinished = Int(section["JobTtlSecondsAfterFinished"]) ?? defaults.JobTtlSecondsAfterFinished,
            TerminationGraceSeconds = Int(section["TerminationGraceSeconds"]) ?? defaults.TerminationGraceSeconds,
            DefaultMemoryLimit = Blank(section["DefaultMemoryLimit"]) ?? defaults.DefaultMemoryLimit,
            WorkspaceStorage = Blank(section["WorkspaceStorage"]) ?? defaults.WorkspaceStorage,
            WorkspaceStorageClassName = Blank(section["WorkspaceStorageClassName"]),
            BrokerPodLabels = Labels(section["BrokerPodLabels"]) ?? defaults.BrokerPodLabels,
            BrokerNamespace = Blank(section["BrokerNamespace"]),
            EgressProxyPodLabels = Labels(section["EgressProxyPodLabels"]) ?? Labels(section["BrokerPodLabels"]) ?? defaults.EgressProxyPodLabels,
            LeaseNamespace = Blank(section["LeaseNamespace"]) ?? Blank(ReadPodNamespace()) ?? defaults.LeaseNamespace,
            LeaseName = Blank(section["LeaseName"]) ?? defaults.LeaseName,
            Identity = Blank(section["Identity"]) ?? Blank(System.Environment.GetEnvironmentVariable("POD_NAME")) ?? defaults.Identity,
            LeaseDuration = Seconds(section["LeaseDurationSeconds"]) ?? defaults.LeaseDuration,
            RenewDeadline = Seconds(section["RenewDeadlineSeconds"]) ?? defaults.RenewDeadline,
            RetryPeriod = Seconds(section["RetryPeriodSeconds"]) ?? defaults.RetryPeriod,
            Workers = Int(section["Workers"]) ?? defaults.Workers,
            RepositoryCacheHostPath = Blank(section["RepositoryCacheHostPath"]),
        };
    }

    /// <summary><c>app=catalyst-host,tier=web</c>.</summary>
    internal static IReadOnlyDictionary<string, string>? Labels(string? text) =>
        Blank(text) is { } value
            ? value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(pair => pair.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "")
            : null;

    private static string? ReadPodNamespace()
    {
        const string file = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";
        return File.Exists(file) ? File.ReadAllText(file).Trim() : null;
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    private static int? Int(string? value) => int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;
    private static TimeSpan? Seconds(string? value) => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) ? TimeSpan.FromSeconds(s) : null;
}
