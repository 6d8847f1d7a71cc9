using System.Text.Json.Nodes;
using Catalyst.Contracts;
using Catalyst.Operator.Kubernetes.Entities;
using Catalyst.Operator.Kubernetes.Finalizers;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Catalyst.Operator.Kubernetes.Controllers;

/// <summary>
/// Converges one Environment: its finalizer, the task namespace and everything in it, then its status from the Job and
/// its pod. Idempotent: reconciling an Environment whose children are as they should be writes nothing. Returns when to
/// look again (null: when something changes).
/// </summary>
public sealed class EnvironmentController(
    IKubernetes client,
    KubernetesOperatorOptions options,
    TaskNamespaceFinalizer finalizer,
    WorkspaceLogs logs,
    IWorkspaceEvents events,
    ILogger<EnvironmentController> logger,
    TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _exitedSent = new();
    private int _writes;

    /// <summary>Creates, replaces, deletes and status patches this controller sent.</summary>
    public int Writes => Volatile.Read(ref _writes);

    public async Task<TimeSpan?> ReconcileAsync(V1Alpha1Environment environment, CancellationToken cancellationToken)
    {
        var workspace = new TaskWorkspace(environment);
        var finalizers = environment.Metadata.Finalizers ?? [];

        if (environment.Metadata.DeletionTimestamp is not null)
        {
            logs.Forget(workspace.Key);
            _exitedSent.TryRemove(workspace.Key, out _);
            if (!finalizers.Contains(TaskWorkspace.Finalizer)) return null;
            if (!await finalizer.FinalizeAsync(workspace, cancellationToken)) return TimeSpan.FromSeconds(1);
            environment.Metadata.Finalizers = finalizers.Where(f => f != TaskWorkspace.Finalizer).ToList();
            await WriteAsync(() => Environments.ReplaceAsync(client, environment, cancellationToken));
            return null;
        }
        if (!finalizers.Contains(TaskWorkspace.Finalizer))
        {
            environment.Metadata.Finalizers = [.. finalizers, TaskWorkspace.Finalizer];
            await WriteAsync(() => Environments.ReplaceAsync(client, environment, cancellationToken));
            return null; // The write comes back as a change.
        }

        var status = environment.Status ?? new EnvironmentStatus();
        if (environment.Spec.Type != V1Alpha1Environment.AgentWorkspace)
            return await SetStatusAsync(environment, status, EnvironmentPhase.Failed, $"Unknown environment type '{environment.Spec.Type}'.", cancellationToken);

        // A plan approved: the same Environment (and kept workspace) runs its execute phase once the plan's end was told.
        if (status.LaunchPhase is { } described && described != workspace.Phase && IsTerminal(status.Phase))
        {
            if (status.Log?.ExitedSent != true && !_exitedSent.ContainsKey(workspace.Key)) return await FinishAsync(workspace, status, cancellationToken);
            return await StartOverAsync(workspace, cancellationToken);
        }
        if (IsTerminal(status.Phase)) return await FinishAsync(workspace, status, cancellationToken);

        var job = await ReadAsync(() => client.BatchV1.ReadNamespacedJobAsync(workspace.CurrentJobName, workspace.Namespace, cancellationToken: cancellationToken));
        var pod = job is null ? null : await FindPodAsync(workspace, cancellationToken);

        if (environment.Spec.Stop is { } stop) return await StopAsync(workspace, status, stop, job, pod, cancellationToken);

        if (!await ConvergeChildrenAsync(workspace, cancellationToken)) return TimeSpan.FromSeconds(1);

        if (job is null)
        {
            if (status.JobName is not null)
                return await SetStatusAsync(environment, status, EnvironmentPhase.Failed, "The workspace's Job was deleted before it finished.", cancellationToken);
            job = await WriteAsync(() => client.BatchV1.CreateNamespacedJobAsync(WorkspaceChildren.Job(workspace, options), workspace.Namespace, cancellationToken: cancellationToken));
            return await SetStatusAsync(environment, status, EnvironmentPhase.Provisioning, null, cancellationToken, jobName: job.Metadata.Name);
        }

        var container = pod?.Status?.ContainerStatuses?.FirstOrDefault(c => c.Name == TaskWorkspace.ContainerName);
        var terminated = container?.State?.Terminated;
        if (terminated?.Reason == "OOMKilled")
            return await EndAsync(workspace, status, EnvironmentPhase.Failed, $"Out of memory: the workspace is limited to {WorkspaceChildren.DescribeMemory(workspace, options)}.", terminated.ExitCode, pod, cancellationToken);
        if (JobCondition(job, "Failed") is { Reason: "DeadlineExceeded" })
        {
            // The runner gets its grace period to commit and push what the agent made before the end is told.
            if (pod is not null && terminated is null && pod.Status?.Phase is "Running" or "Pending") return TimeSpan.FromSeconds(1);
            return await EndAsync(workspace, status, EnvironmentPhase.TimedOut, $"The agent did not finish within {environment.Spec.AgentConfig.TimeoutSeconds} seconds.", terminated?.ExitCode, pod, cancellationToken);
        }
        if (terminated is not null)
            return terminated.ExitCode == 0
                ? await EndAsync(workspace, status, EnvironmentPhase.Succeeded, null, 0, pod, cancellationToken)
                : await EndAsync(workspace, status, EnvironmentPhase.Failed, FailureMessage(status, terminated), terminated.ExitCode, pod, cancellationToken);
        if (JobCondition(job, "Complete") is not null)
            return await EndAsync(workspace, status, EnvironmentPhase.Succeeded, null, 0, pod, cancellationToken);
        if (JobCondition(job, "Failed") is { } failed)
            return await EndAsync(workspace, status, EnvironmentPhase.Failed, $"The workspace's Job failed: {failed.Reason}: {failed.Message}", null, pod, cancellationToken);

        if (StuckReason(pod, container) is { } stuck)
        {
            var since = (pod?.Metadata.CreationTimestamp ?? job.Metadata.CreationTimestamp ?? _time.GetUtcNow().UtcDateTime).ToUniversalTime();
            var waited = _time.GetUtcNow().UtcDateTime - since;
            if (waited >= options.StartTimeout)
            {
                await DeleteJobAsync(workspace, "Background", cancellationToken);
                return await EndAsync(workspace, status, EnvironmentPhase.Failed, $"The workspace could not start: {stuck}", null, null, cancellationToken);
            }
            var waiting = await SetStatusAsync(environment, status, EnvironmentPhase.Provisioning, $"Waiting: {stuck}", cancellationToken, jobName: job.Metadata.Name, podName: pod?.Metadata.Name);
            var left = options.StartTimeout - waited;
            return waiting is { } soon && soon < left ? soon : left;
        }

        if (container?.State?.Running is not null)
        {
            logs.Follow(workspace, pod!.Metadata.Name, status.Log);
            return await SetStatusAsync(environment, status, EnvironmentPhase.Running, null, cancellationToken, jobName: job.Metadata.Name, podName: pod.Metadata.Name,
                startTime: container.State.Running.StartedAt ?? _time.GetUtcNow().UtcDateTime);
        }
        return await SetStatusAsync(environment, status, EnvironmentPhase.Provisioning, null, cancellationToken, jobName: job.Metadata.Name, podName: pod?.Metadata.Name);
    }

    /// <summary>Clears what the last phase left in the status (its Job, pod, end and log position) for the next phase.</summary>
    private async Task<TimeSpan?> StartOverAsync(TaskWorkspace workspace, CancellationToken ct)
    {
        logs.Forget(workspace.Key);
        _exitedSent.TryRemove(workspace.Key, out _);
        var next = new JsonObject
        {
            ["phase"] = nameof(EnvironmentPhase.Pending), ["launchPhase"] = workspace.Phase, ["message"] = null, ["jobName"] = null, ["podName"] = null,
            ["startTime"] = null, ["completionTime"] = null, ["exitCode"] = null, ["result"] = null, ["log"] = null,
        };
        await WriteAsync(() => Environments.PatchStatusAsync(client, workspace.Environment.Metadata.NamespaceProperty, workspace.Environment.Metadata.Name, next, ct));
        logger.LogInformation("Environment {Key} starts its {Phase} phase", workspace.Key, workspace.Phase);
        return null; // The write comes back as a change.
    }

    // ---- Children ----

    /// <summary>False while the task namespace is still going away (deleted by hand): it is created again once it is gone.</summary>
    private async Task<bool> ConvergeChildrenAsync(TaskWorkspace workspace, CancellationToken ct)
    {
        var ns = workspace.Namespace;
        var desiredNamespace = WorkspaceChildren.Namespace(workspace);
        var existing = await ReadAsync(() => client.CoreV1.ReadNamespaceAsync(ns, cancellationToken: ct));
        // A namespace made just now holds nothing yet: its children are created without reading them first.
        var fresh = existing is null;
        if (existing is null) await WriteAsync(() => client.CoreV1.CreateNamespaceAsync(desiredNamespace, cancellationToken: ct));
        else if (existing.Status?.Phase == "Terminating" || existing.Metadata.DeletionTimestamp is not null) return false;
        else if (!Covers(desiredNamespace.Metadata.Labels, existing.Metadata.Labels))
        {
            existing.Metadata.Labels = new Dictionary<string, string>(existing.Metadata.Labels ?? new Dictionary<string, string>()).Concat(desiredNamespace.Metadata.Labels)
                .GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Last().Value);
            await WriteAsync(() => client.CoreV1.ReplaceNamespaceAsync(existing, ns, cancellationToken: ct));
        }

        await EnsureAsync(fresh, WorkspaceChildren.ResourceQuota(workspace, options), q => q.Spec,
            () => client.CoreV1.ReadNamespacedResourceQuotaAsync(TaskWorkspace.QuotaName, ns, cancellationToken: ct),
            q => client.CoreV1.CreateNamespacedResourceQuotaAsync(q, ns, cancellationToken: ct),
            q => client.CoreV1.ReplaceNamespacedResourceQuotaAsync(q, TaskWorkspace.QuotaName, ns, cancellationToken: ct));
        await EnsureAsync(fresh, WorkspaceChildren.LimitRange(workspace, options), l => l.Spec,
            () => client.CoreV1.ReadNamespacedLimitRangeAsync(TaskWorkspace.LimitRangeName, ns, cancellationToken: ct),
            l => client.CoreV1.CreateNamespacedLimitRangeAsync(l, ns, cancellationToken: ct),
            l => client.CoreV1.ReplaceNamespacedLimitRangeAsync(l, TaskWorkspace.LimitRangeName, ns, cancellationToken: ct));
        await EnsureAsync(fresh, WorkspaceChildren.NetworkPolicy(workspace, options), p => p.Spec,
            () => client.NetworkingV1.ReadNamespacedNetworkPolicyAsync(TaskWorkspace.NetworkPolicyName, ns, cancellationToken: ct),
            p => client.NetworkingV1.CreateNamespacedNetworkPolicyAsync(p, ns, cancellationToken: ct),
            p => client.NetworkingV1.ReplaceNamespacedNetworkPolicyAsync(p, TaskWorkspace.NetworkPolicyName, ns, cancellationToken: ct));
        await EnsureAsync(fresh, WorkspaceChildren.ServiceAccount(workspace), a => a.AutomountServiceAccountToken,
            () => client.CoreV1.ReadNamespacedServiceAccountAsync(TaskWorkspace.ServiceAccountName, ns, cancellationToken: ct),
            a => client.CoreV1.CreateNamespacedServiceAccountAsync(a, ns, cancellationToken: ct),
            a => client.CoreV1.ReplaceNamespacedServiceAccountAsync(a, TaskWorkspace.ServiceAccountName, ns, cancellationToken: ct));

        if (workspace.KeepsWorkspace)
            await EnsureAsync(fresh, WorkspaceChildren.WorkspaceClaim(workspace, options), c => c.Spec.AccessModes,
                () => client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync(TaskWorkspace.ClaimName, ns, cancellationToken: ct),
                c => client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(c, ns, cancellationToken: ct),
                c => client.CoreV1.ReplaceNamespacedPersistentVolumeClaimAsync(c, TaskWorkspace.ClaimName, ns, cancellationToken: ct));

        var token = await ReadTaskTokenAsync(workspace, ct);
        await EnsureAsync(fresh, WorkspaceChildren.Secret(workspace, token), s => s.Data,
            () => client.CoreV1.ReadNamespacedSecretAsync(TaskWorkspace.SecretName, ns, cancellationToken: ct),
            s => client.CoreV1.CreateNamespacedSecretAsync(s, ns, cancellationToken: ct),
            s => client.CoreV1.ReplaceNamespacedSecretAsync(s, TaskWorkspace.SecretName, ns, cancellationToken: ct));
        return true;
    }

    /// <summary>Creates the object when it is missing, replaces it when the part this operator owns differs, and writes nothing otherwise.</summary>
    private async Task EnsureAsync<T>(bool fresh, T desired, Func<T, object?> owned, Func<Task<T>> read, Func<T, Task<T>> create, Func<T, Task<T>> replace)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        if (fresh)
        {
            try
            {
                await WriteAsync(() => create(desired));
                return;
            }
            catch (HttpOperationException e) when (Environments.IsConflict(e))
            {
                // Made by someone else meanwhile: compared below like any other.
            }
        }
        var actual = await ReadAsync(read);
        if (actual is null)
        {
            await WriteAsync(() => create(desired));
            return;
        }
        if (Covers(owned(desired), owned(actual)) && Covers(desired.Metadata.Labels, actual.Metadata.Labels)) return;
        desired.Metadata.ResourceVersion = actual.Metadata.ResourceVersion;
        await WriteAsync(() => replace(desired));
    }

    /// <summary>Every value the desired object sets is set the same in the actual one (the server may add defaults).</summary>
    internal static bool Covers(object? desired, object? actual) => Covers(Environments.ToNode(desired), Environments.ToNode(actual));

    private static bool Covers(JsonNode? desired, JsonNode? actual) => desired switch
    {
        null => true,
        JsonObject d => actual is JsonObject a && d.All(p => p.Value is null || Covers(p.Value, a[p.Key])),
        JsonArray d => actual is JsonArray a && a.Count == d.Count && d.Select((v, i) => Covers(v, a[i])).All(ok => ok),
        _ => actual is not null && JsonNode.DeepEquals(desired, actual) || actual?.ToJsonString() == desired.ToJsonString(),
    };

    private async Task<string> ReadTaskTokenAsync(TaskWorkspace workspace, CancellationToken ct)
    {
        var reference = workspace.Environment.Spec.AgentConfig.CredentialSecretRef.Name;
        var secret = await ReadAsync(() => client.CoreV1.ReadNamespacedSecretAsync(reference, workspace.Environment.Metadata.NamespaceProperty, cancellationToken: ct))
            ?? throw new InvalidOperationException($"The credential Secret '{reference}' of environment {workspace.Key} does not exist.");
        if (secret.Data?.TryGetValue("token", out var bytes) == true) return System.Text.Encoding.UTF8.GetString(bytes);
        if (secret.StringData?.TryGetValue("token", out var text) == true) return text;
        throw new InvalidOperationException($"The credential Secret '{reference}' of environment {workspace.Key} has no 'token'.");
    }

    // ---- Ends ----

    private async Task<TimeSpan?> StopAsync(TaskWorkspace workspace, EnvironmentStatus status, EnvironmentStop stop, V1Job? job, V1Pod? pod, CancellationToken ct)
    {
        if (job is not null && job.Metadata.DeletionTimestamp is null) await DeleteJobAsync(workspace, "Foreground", ct);
        var terminated = pod?.Status?.ContainerStatuses?.FirstOrDefault(c => c.Name == TaskWorkspace.ContainerName)?.State?.Terminated;
        // The runner gets its grace period to commit and push what the agent made; its log is followed to the end.
        if (pod is not null && terminated is null && pod.Status?.Phase is "Running" or "Pending") return TimeSpan.FromSeconds(1);
        var phase = stop.End == nameof(WorkspaceEnd.Failed) ? EnvironmentPhase.Failed : EnvironmentPhase.Cancelled;
        return await EndAsync(workspace, status, phase, string.IsNullOrWhiteSpace(stop.Reason) ? "The workspace was cancelled." : stop.Reason, terminated?.ExitCode, pod, ct);
    }

    private async Task<TimeSpan?> EndAsync(TaskWorkspace workspace, EnvironmentStatus status, EnvironmentPhase phase, string? message, int? exitCode, V1Pod? pod, CancellationToken ct)
    {
        if (pod is not null && status.Log?.ExitedSent != true) logs.Follow(workspace, pod.Metadata.Name, status.Log);
        else logs.MarkDrained(workspace.Key);
        await SetStatusAsync(workspace.Environment, status, phase, message, ct, podName: pod?.Metadata.Name, exitCode: exitCode, completionTime: _time.GetUtcNow().UtcDateTime);
        return await FinishAsync(workspace, status, ct);
    }

    /// <summary>Once the log is delivered to its last line, the end goes to the Host: exactly once (recorded in the status).</summary>
    private async Task<TimeSpan?> FinishAsync(TaskWorkspace workspace, EnvironmentStatus status, CancellationToken ct)
    {
        // The informer's copy may not show exitedSent yet: the end is told once.
        if (status.Log?.ExitedSent == true || _exitedSent.ContainsKey(workspace.Key)) return null;
        if (!logs.IsDrained(workspace.Key))
        {
            if (!logs.IsFollowing(workspace.Key))
            {
                var pod = status.PodName is { } podName ? await ReadAsync(() => client.CoreV1.ReadNamespacedPodAsync(podName, workspace.Namespace, cancellationToken: ct)) : null;
                if (pod is null) logs.MarkDrained(workspace.Key);
                else logs.Follow(workspace, pod.Metadata.Name, status.Log);
            }
            if (!logs.IsDrained(workspace.Key)) return TimeSpan.FromSeconds(2);
        }
        var result = logs.ResultOf(workspace.Key) ?? status.Result;
        var exited = new WorkspaceExited(Guid.TryParse(workspace.Environment.Spec.AgentConfig.TaskId, out var id) ? id : Guid.Empty,
            EndOf(status.Phase), status.ExitCode, status.Phase == nameof(EnvironmentPhase.Succeeded) ? null : status.Message,
            result is null ? null : WorkspaceLogs.ToRunnerResult(result), _time.GetUtcNow());
        await events.PublishAsync(exited, ct);
        _exitedSent[workspace.Key] = true;
        await WriteAsync(() => Environments.PatchStatusAsync(client, workspace.Environment.Metadata.NamespaceProperty, workspace.Environment.Metadata.Name,
            new JsonObject { ["log"] = new JsonObject { ["exitedSent"] = true } }, ct));
        status.Log ??= new LogPosition();
        status.Log.ExitedSent = true;
        logs.Forget(workspace.Key);
        logger.LogInformation("Environment {Key} ended {Phase}", workspace.Key, status.Phase);
        return null;
    }

    private static WorkspaceEnd EndOf(string phase) => phase switch
    {
        nameof(EnvironmentPhase.Succeeded) => WorkspaceEnd.Exited,
        nameof(EnvironmentPhase.Cancelled) => WorkspaceEnd.Cancelled,
        nameof(EnvironmentPhase.TimedOut) => WorkspaceEnd.TimedOut,
        _ => WorkspaceEnd.Failed,
    };

    private static string FailureMessage(EnvironmentStatus status, V1ContainerStateTerminated terminated) =>
        status.Result?.PreHookFailure is { } pre
            ? new HookFailure(HookPhase.Pre, pre.Number, pre.Command, pre.ExitCode, pre.Output).Describe()
            : $"The agent exited with code {terminated.ExitCode}{(string.IsNullOrWhiteSpace(terminated.Message) ? "." : $": {terminated.Message}")}";

    public static bool IsTerminal(string phase) => phase is nameof(EnvironmentPhase.Succeeded) or nameof(EnvironmentPhase.Failed)
        or nameof(EnvironmentPhase.Cancelled) or nameof(EnvironmentPhase.TimedOut);

    /// <summary>The cluster's reason a pod cannot start: its image cannot be pulled, or no node takes it.</summary>
    private static string? StuckReason(V1Pod? pod, V1ContainerStatus? container)
    {
        if (container?.State?.Waiting is { Reason: "ImagePullBackOff" or "ErrImagePull" or "InvalidImageName" or "CreateContainerConfigError" } waiting)
            return string.IsNullOrWhiteSpace(waiting.Message) ? waiting.Reason : $"{waiting.Reason}: {waiting.Message}";
        if (pod?.Status?.Conditions?.FirstOrDefault(c => c.Type == "PodScheduled") is { Status: "False", Reason: "Unschedulable" } unschedulable)
            return string.IsNullOrWhiteSpace(unschedulable.Message) ? unschedulable.Reason : $"{unschedulable.Reason}: {unschedulable.Message}";
        return null;
    }

    private static V1JobCondition? JobCondition(V1Job job, string type) =>
        job.Status?.Conditions?.FirstOrDefault(c => c.Type == type && c.Status == "True");

    private async Task<V1Pod?> FindPodAsync(TaskWorkspace workspace, CancellationToken ct)
    {
        var pods = await client.CoreV1.ListNamespacedPodAsync(workspace.Namespace, labelSelector: $"batch.kubernetes.io/job-name={workspace.CurrentJobName}", cancellationToken: ct);
        return pods.Items.OrderByDescending(p => p.Metadata.CreationTimestamp).FirstOrDefault();
    }

    private Task DeleteJobAsync(TaskWorkspace workspace, string propagation, CancellationToken ct) =>
        WriteAsync(async () =>
        {
            try
            {
                await client.BatchV1.DeleteNamespacedJobAsync(workspace.CurrentJobName, workspace.Namespace, propagationPolicy: propagation, cancellationToken: ct);
            }
            catch (HttpOperationException e) when (Environments.IsNotFound(e))
            {
            }
            return true;
        });

    // ---- Status ----

    /// <summary>Patches the fields this controller owns when they differ; returns the requeue for a phase still in progress.</summary>
    private async Task<TimeSpan?> SetStatusAsync(V1Alpha1Environment environment, EnvironmentStatus status, EnvironmentPhase phase, string? message, CancellationToken ct,
        string? jobName = null, string? podName = null, DateTime? startTime = null, int? exitCode = null, DateTime? completionTime = null)
    {
        var workspace = new TaskWorkspace(environment);
        var next = new JsonObject();
        void Set(string name, JsonNode? value, JsonNode? current)
        {
            if (value is null || JsonNode.DeepEquals(value, current)) return;
            next[name] = value;
        }
        var phaseName = phase.ToString();
        Set("phase", phaseName, status.Phase);
        if (message != status.Message && (message is not null || phaseName != status.Phase)) next["message"] = message;
        Set("taskNamespace", workspace.Namespace, status.TaskNamespace);
        Set("launchPhase", workspace.Phase, status.LaunchPhase);
        Set("observedGeneration", environment.Metadata.Generation, status.ObservedGeneration);
        Set("jobName", jobName, status.JobName);
        Set("podName", podName, status.PodName);
        if (status.StartTime is null && startTime is { } started) next["startTime"] = Time(started);
        if (exitCode is { } code && status.ExitCode != code) next["exitCode"] = code;
        if (status.CompletionTime is null && completionTime is { } completed) next["completionTime"] = Time(completed);
        if (phaseName != status.Phase)
        {
            var conditions = status.Conditions.Where(c => c.Type != "Ready").Select(c => Environments.ToNode(c)).ToList();
            conditions.Add(new JsonObject
            {
                ["type"] = "Ready",
                ["status"] = phase is EnvironmentPhase.Running or EnvironmentPhase.Succeeded ? "True" : "False",
                ["reason"] = phaseName,
                ["message"] = message,
                ["lastTransitionTime"] = Time(_time.GetUtcNow().UtcDateTime),
            });
            next["conditions"] = new JsonArray([.. conditions]);
        }
        if (next.Count > 0)
        {
            await WriteAsync(() => Environments.PatchStatusAsync(client, environment.Metadata.NamespaceProperty, environment.Metadata.Name, next, ct));
            status.Phase = phaseName;
            status.Message = message ?? (next.ContainsKey("message") ? null : status.Message);
            status.JobName = jobName ?? status.JobName;
            status.PodName = podName ?? status.PodName;
            status.ExitCode = exitCode ?? status.ExitCode;
        }
        return phase switch
        {
            EnvironmentPhase.Pending or EnvironmentPhase.Provisioning => TimeSpan.FromSeconds(5),
            EnvironmentPhase.Running => TimeSpan.FromSeconds(30),
            _ => null,
        };
    }

    private static string Time(DateTime time) => time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    // ---- The wire ----

    private static async Task<T?> ReadAsync<T>(Func<Task<T>> read) where T : class
    {
        try
        {
            return await read();
        }
        catch (HttpOperationException e) when (Environments.IsNotFound(e))
        {
            return null;
        }
    }

    private async Task<T> WriteAsync<T>(Func<Task<T>> write)
    {
        Interlocked.Increment(ref _writes);
        return await write();
    }

    private async Task WriteAsync(Func<Task> write)
    {
        Interlocked.Increment(ref _writes);
        await write();
    }
}
