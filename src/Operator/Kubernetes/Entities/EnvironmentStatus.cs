using System.Text.Json.Serialization;

namespace Catalyst.Operator.Kubernetes.Entities;

/// <summary>Written by the operator only, through the <c>/status</c> subresource.</summary>
public sealed class EnvironmentStatus
{
    /// <summary>One of <see cref="EnvironmentPhase"/>'s names.</summary>
    [JsonPropertyName("phase")] public string Phase { get; set; } = nameof(EnvironmentPhase.Pending);
    [JsonPropertyName("message")] public string? Message { get; set; }
    [JsonPropertyName("observedGeneration")] public long? ObservedGeneration { get; set; }
    [JsonPropertyName("conditions")] public IList<EnvironmentCondition> Conditions { get; set; } = [];

    /// <summary>The launch phase (<c>run</c>, <c>plan</c>, <c>execute</c>) this status describes: a plan approved starts it over for <c>execute</c>.</summary>
    [JsonPropertyName("launchPhase")] public string? LaunchPhase { get; set; }

    /// <summary>The task's own namespace (<c>catalyst-task-&lt;8 hex&gt;</c>).</summary>
    [JsonPropertyName("taskNamespace")] public string? TaskNamespace { get; set; }
    [JsonPropertyName("jobName")] public string? JobName { get; set; }
    [JsonPropertyName("podName")] public string? PodName { get; set; }
    [JsonPropertyName("startTime")] public DateTime? StartTime { get; set; }
    [JsonPropertyName("completionTime")] public DateTime? CompletionTime { get; set; }
    [JsonPropertyName("exitCode")] public int? ExitCode { get; set; }

    /// <summary>The runner's result report, as it printed it (<c>::catalyst-result::</c>).</summary>
    [JsonPropertyName("result")] public EnvironmentResult? Result { get; set; }

    /// <summary>How far the pod's log has been delivered to the Host: a restarted operator resumes after it.</summary>
    [JsonPropertyName("log")] public LogPosition? Log { get; set; }
}

public enum EnvironmentPhase
{
    Pending,
    Provisioning,
    Running,
    Succeeded,
    Failed,
    Cancelled,
    TimedOut,
}

public sealed class EnvironmentCondition
{
    [JsonPropertyName("type")] public string Type { get; set; } = "";

    /// <summary><c>True</c>, <c>False</c> or <c>Unknown</c>.</summary>
    [JsonPropertyName("status")] public string Status { get; set; } = "Unknown";
    [JsonPropertyName("reason")] public string? Reason { get; set; }
    [JsonPropertyName("message")] public string? Message { get; set; }
    [JsonPropertyName("lastTransitionTime")] public DateTime? LastTransitionTime { get; set; }
}

public sealed class EnvironmentResult
{
    [JsonPropertyName("branch")] public string Branch { get; set; } = "";
    [JsonPropertyName("baseSha")] public string? BaseSha { get; set; }
    [JsonPropertyName("pushed")] public bool Pushed { get; set; }
    [JsonPropertyName("pushError")] public string? PushError { get; set; }
    [JsonPropertyName("commits")] public IList<EnvironmentCommit> Commits { get; set; } = [];
    [JsonPropertyName("preHookFailure")] public EnvironmentHookFailure? PreHookFailure { get; set; }
    [JsonPropertyName("postHookFailure")] public EnvironmentHookFailure? PostHookFailure { get; set; }
}

public sealed class EnvironmentHookFailure
{
    [JsonPropertyName("number")] public int Number { get; set; }
    [JsonPropertyName("command")] public string Command { get; set; } = "";
    [JsonPropertyName("exitCode")] public int ExitCode { get; set; }
    [JsonPropertyName("output")] public string Output { get; set; } = "";
}

public sealed class EnvironmentCommit
{
    [JsonPropertyName("sha")] public string Sha { get; set; } = "";
    [JsonPropertyName("message")] public string Message { get; set; } = "";
    [JsonPropertyName("filesChanged")] public int FilesChanged { get; set; }
    [JsonPropertyName("insertions")] public int Insertions { get; set; }
    [JsonPropertyName("deletions")] public int Deletions { get; set; }
}

/// <summary>The timestamp of the last log line delivered, and how many lines carried exactly that timestamp.</summary>
public sealed class LogPosition
{
    [JsonPropertyName("lastTimestamp")] public string? LastTimestamp { get; set; }
    [JsonPropertyName("linesAtLastTimestamp")] public int LinesAtLastTimestamp { get; set; }

    /// <summary>Set once WorkspaceProvisioned was published; a restarted operator does not publish it again.</summary>
    [JsonPropertyName("provisionedSent")] public bool ProvisionedSent { get; set; }
    [JsonPropertyName("agentStartedSent")] public bool AgentStartedSent { get; set; }
    [JsonPropertyName("exitedSent")] public bool ExitedSent { get; set; }
}
