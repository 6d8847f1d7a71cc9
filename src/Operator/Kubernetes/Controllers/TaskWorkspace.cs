using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Catalyst.Operator.Kubernetes.Entities;
using k8s.Models;

namespace Catalyst.Operator.Kubernetes.Controllers;

/// <summary>The names and labels of one Environment's children, all derived from the Environment alone.</summary>
public sealed partial record TaskWorkspace(V1Alpha1Environment Environment)
{
    public const string ManagedBy = "catalyst-operator";
    public const string TaskIdLabel = "catalyst.dev/task-id";
    public const string ProjectLabel = "catalyst.dev/project";
    public const string EnvironmentNameLabel = "catalyst.dev/environment";
    public const string EnvironmentNamespaceLabel = "catalyst.dev/environment-namespace";
    public const string Finalizer = "catalyst.dev/task-namespace";

    public const string QuotaName = "workspace-quota";
    public const string LimitRangeName = "workspace-limits";
    public const string NetworkPolicyName = "workspace-egress";
    public const string ServiceAccountName = "workspace";
    public const string SecretName = "workspace-access";
    public const string JobName = "workspace";
    public const string ExecuteJobName = "workspace-execute";
    public const string ClaimName = "workspace";
    public const string ContainerName = "runner";

    /// <summary><c>run</c>, <c>plan</c> or <c>execute</c>: the phase the Environment's spec asks for now.</summary>
    public string Phase => Environment.Spec.AgentConfig.Launch.Phase is { Length: > 0 } phase ? phase.ToLowerInvariant() : "run";

    /// <summary>
    /// A plan-first task's workspace (clone, work branch, the CLI's session in HOME) outlives the plan's pod for the
    /// execute phase: it is a PersistentVolumeClaim of the task namespace, not an emptyDir.
    /// </summary>
    public bool KeepsWorkspace => Phase is "plan" or "execute";

    /// <summary>The Job of the current phase: the execute phase runs a Job of its own after the plan's.</summary>
    public string CurrentJobName => Phase == "execute" ? ExecuteJobName : JobName;

    /// <summary>The Environment's key in the work queue: <c>namespace/name</c>.</summary>
    public string Key => KeyOf(Environment);

    public static string KeyOf(V1Alpha1Environment environment) => $"{environment.Metadata.NamespaceProperty}/{environment.Metadata.Name}";

    /// <summary><c>catalyst-task-&lt;8 hex&gt;</c>: the task id's last 8 hex digits, or a hash of it when it is not a UUID.</summary>
    public string Namespace => $"catalyst-task-{ShortId}";

    public string ShortId => Guid.TryParse(Environment.Spec.AgentConfig.TaskId, out var id)
        ? id.ToString("N")[^8..]
        : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{Environment.Metadata.NamespaceProperty}/{Environment.Metadata.Name}")))[..8];

    public IDictionary<string, string> Labels => new Dictionary<string, string>
    {
        ["app.kubernetes.io/managed-by"] = ManagedBy,
        ["app.kubernetes.io/part-of"] = "catalyst",
        [TaskIdLabel] = LabelValue(Environment.Spec.AgentConfig.TaskId),
        [ProjectLabel] = LabelValue(Environment.Spec.AgentConfig.ProjectSlug),
        [EnvironmentNameLabel] = LabelValue(Environment.Metadata.Name),
        [EnvironmentNamespaceLabel] = LabelValue(Environment.Metadata.NamespaceProperty),
    };

    /// <summary>A label value (63 characters of <c>[A-Za-z0-9._-]</c>, alphanumeric at both ends).</summary>
    public static string LabelValue(string? text)
    {
        var value = NotLabel().Replace(text ?? "", "-");
        if (value.Length > 63) value = value[..63];
        return value.Trim('-', '_', '.');
    }

    [GeneratedRegex("[^A-Za-z0-9._-]")]
    private static partial Regex NotLabel();
}
