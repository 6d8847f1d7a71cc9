using System.Text;
using System.Text.Json.Nodes;
using Catalyst.Contracts;
using Catalyst.Operator.Kubernetes.Controllers;
using Catalyst.Operator.Kubernetes.Entities;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Wolverine;
using Wolverine.Runtime;

namespace Catalyst.Operator.Kubernetes.Backend;

/// <summary>
/// The Kubernetes backend as the Host sees it: a task's workspace is an Environment (and a Secret with its task token
/// beside it); the operator runs it and sends back the same messages the local backend publishes.
/// </summary>
public sealed class KubernetesWorkspaces(
    IKubernetes client,
    KubernetesWorkspaceOptions options,
    IWorkspaceCredentialSource credentials,
    IWolverineRuntime runtime,
    ILogger<KubernetesWorkspaces> logger,
    TimeProvider? time = null) : IWorkspaceBackend
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public static string EnvironmentName(Guid taskId) => $"task-{taskId:N}";

    public static string AccessSecretName(Guid taskId) => $"task-{taskId:N}-access";

    /// <summary>The SHA-256 of the task token, on an Environment whose project allows hosts: the egress proxy checks a pod's credentials against it.</summary>
    public const string EgressTokenHashAnnotation = "catalyst.dev/egress-token-sha256";

    public static string EgressTokenHash(string token) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    public async Task ProvisionAsync(WorkspaceSpec spec, CancellationToken cancellationToken)
    {
        if (await Environments.ReadAsync(client, options.Namespace, EnvironmentName(spec.TaskId), cancellationToken) is { } existing)
        {
            if (spec.Phase == WorkspacePhase.Execute && existing.Spec.AgentConfig.Launch.Phase == "plan" && existing.Metadata.DeletionTimestamp is null)
            {
                await ContinueAsync(spec, existing, cancellationToken);
                return;
            }
            logger.LogWarning("Task {TaskId} already has an Environment; ignoring a second ProvisionWorkspace", spec.TaskId);
            return;
        }
        if (await IssueAccessAsync(spec, cancellationToken) is not { } access) return;

        var environment = ToEnvironment(spec, access, options);
        try
        {
            environment = await Environments.CreateAsync(client, environment, cancellationToken);
            // Owned by the Environment: the cluster removes the token with it.
            await client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
            {
                ApiVersion = "v1",
                Kind = "Secret",
                Metadata = new V1ObjectMeta
                {
                    Name = AccessSecretName(spec.TaskId),
                    NamespaceProperty = options.Namespace,
                    Labels = new Dictionary<string, string> { [TaskWorkspace.TaskIdLabel] = spec.TaskId.ToString() },
                    OwnerReferences =
                    [
                        new V1OwnerReference
                        {
                            ApiVersion = V1Alpha1Environment.ApiGroupVersion, Kind = V1Alpha1Environment.EntityKind,
                            Name = environment.Metadata.Name, Uid = environment.Metadata.Uid, BlockOwnerDeletion = true,
                        },
                    ],
                },
                Type = "Opaque",
                Data = new Dictionary<string, byte[]> { ["token"] = Encoding.UTF8.GetBytes(access.Token) },
            }, options.Namespace, cancellationToken: cancellationToken);
            logger.LogInformation("Task {TaskId} runs as environment {Namespace}/{Name}", spec.TaskId, options.Namespace, environment.Metadata.Name);
        }
        catch (HttpOperationException e)
        {
            logger.LogError(e, "Could not create the Environment of task {TaskId}: {Status}", spec.TaskId, e.Response.StatusCode);
            await credentials.RevokeAsync(spec.TaskId, CancellationToken.None);
            await EndAsync(spec.TaskId, $"The cluster refused the task's workspace ({(int)e.Response.StatusCode} {e.Response.ReasonPhrase}).");
        }
    }

    /// <summary>The task's access (its token, the broker's address); null when it cannot be issued, the task then ended with the reason.</summary>
    private async Task<TaskAccess?> IssueAccessAsync(WorkspaceSpec spec, CancellationToken cancellationToken)
    {
        TaskAccess? access;
        try
        {
            access = await credentials.IssueAsync(spec, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Could not read credential {CredentialId} for task {TaskId}", spec.CredentialId, spec.TaskId);
            await EndAsync(spec.TaskId, "The credential could not be read; try again, or choose another credential.");
            return null;
        }
        if (access is null)
            await EndAsync(spec.TaskId, "The credential was deleted or deactivated after the task was created; choose another credential and retry.");
        return access;
    }

    /// <summary>
    /// A plan approved: the plan's Environment (its kept workspace) gets the execute phase's launch and a fresh task
    /// token; the operator runs it as a Job of its own once the plan's end was told.
    /// </summary>
    private async Task ContinueAsync(WorkspaceSpec spec, V1Alpha1Environment existing, CancellationToken cancellationToken)
    {
        if (await IssueAccessAsync(spec, cancellationToken) is not { } access) return;
        var desired = ToEnvironment(spec, access, options);
        try
        {
            // The new token first: the operator reads it when it starts the execute phase.
            await client.CoreV1.PatchNamespacedSecretAsync(new V1Patch(
                new JsonObject { ["data"] = new JsonObject { ["token"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(access.Token)) } }.ToJsonString(),
                V1Patch.PatchType.MergePatch), AccessSecretName(spec.TaskId), options.Namespace, cancellationToken: cancellationToken);
            var launch = (JsonObject)Environments.ToNode(desired.Spec.AgentConfig.Launch)!;
            launch["context"] = desired.Spec.AgentConfig.Launch.Context;
            var annotations = new JsonObject { [EgressTokenHashAnnotation] = desired.Metadata.Annotations is { } wanted && wanted.TryGetValue(EgressTokenHashAnnotation, out var hash) ? hash : null };
            var patch = new JsonObject
            {
                ["metadata"] = new JsonObject { ["annotations"] = annotations },
                ["spec"] = new JsonObject { ["agentConfig"] = new JsonObject { ["launch"] = launch } },
            };
            await client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch),
                V1Alpha1Environment.Group, V1Alpha1Environment.Version, options.Namespace, V1Alpha1Environment.Plural, existing.Metadata.Name, cancellationToken: cancellationToken);
            logger.LogInformation("Task {TaskId} continues in environment {Namespace}/{Name} with its approved plan", spec.TaskId, options.Namespace, existing.Metadata.Name);
        }
        catch (HttpOperationException e)
        {
            logger.LogError(e, "Could not continue the Environment of task {TaskId}: {Status}", spec.TaskId, e.Response.StatusCode);
            await credentials.RevokeAsync(spec.TaskId, CancellationToken.None);
            await EndAsync(spec.TaskId, $"The cluster refused the task's workspace ({(int)e.Response.StatusCode} {e.Response.ReasonPhrase}).");
        }
    }

    public async Task<bool> StopAsync(Guid taskId, string reason, WorkspaceEnd end, CancellationToken cancellationToken)
    {
        try
        {
            await Environments.PatchSpecAsync(client, options.Namespace, EnvironmentName(taskId),
                new JsonObject { ["stop"] = new JsonObject { ["reason"] = reason, ["end"] = end == WorkspaceEnd.Failed ? "Failed" : "Cancelled" } }, cancellationToken);
            return true;
        }
        catch (HttpOperationException e) when (Environments.IsNotFound(e))
        {
            return false;
        }
    }

    /// <summary>
    /// Running while the Environment exists (and is not being deleted); Gone otherwise. An Environment that ended counts
    /// as running: the task is asked about only while it is active, so its end (with the runner's result, after the
    /// last output) is still on the PostgreSQL queue, and settles the task when it is read. Calling it gone would end a
    /// task that completed as failed at a Host's start.
    /// </summary>
    public async Task<WorkspaceState> QueryAsync(Guid taskId, CancellationToken cancellationToken)
    {
        try
        {
            var environment = await Environments.ReadAsync(client, options.Namespace, EnvironmentName(taskId), cancellationToken);
            if (environment is null || environment.Metadata.DeletionTimestamp is not null) return WorkspaceState.Gone;
            if (environment.Status is { Log.ExitedSent: true } ended && EnvironmentController.IsTerminal(ended.Phase))
                logger.LogInformation("The workspace of task {TaskId} ended {Phase}; its end is on the queue", taskId, ended.Phase);
            return WorkspaceState.Running;
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException)
        {
            logger.LogWarning(e, "Could not ask the cluster about task {TaskId}", taskId);
            return WorkspaceState.Unknown;
        }
    }

    public async Task ReleaseAsync(Guid taskId, CancellationToken cancellationToken)
    {
        try
        {
            await Environments.DeleteAsync(client, options.Namespace, EnvironmentName(taskId), cancellationToken);
        }
        catch (HttpOperationException e) when (Environments.IsNotFound(e))
        {
        }
    }

    /// <summary>The Environment of a task: everything the runner needs, and the name of the Secret with its token (never the token).</summary>
    public static V1Alpha1Environment ToEnvironment(WorkspaceSpec spec, TaskAccess access, KubernetesWorkspaceOptions options)
    {
        var launch = spec.Provider.Launch;
        var command = spec.Phase switch
        {
            WorkspacePhase.Plan => launch.PlanCommand,
            WorkspacePhase.Execute => launch.ResumeCommand,
            _ => launch.Command,
        };
        var basePath = Uri.TryCreate(access.UpstreamBaseUrl, UriKind.Absolute, out var upstream) ? upstream.AbsolutePath.TrimEnd('/') : "";
        var memory = spec.Limits?.MemoryMiB is { } mib ? $"{mib}Mi" : null;
        var cpus = spec.Limits?.Cpus is { } cpu ? cpu.ToString(System.Globalization.CultureInfo.InvariantCulture) : options.CpuLimit;
        return new V1Alpha1Environment
        {
            Metadata = new V1ObjectMeta
            {
                Name = EnvironmentName(spec.TaskId),
                NamespaceProperty = options.Namespace,
                Labels = new Dictionary<string, string> { [TaskWorkspace.TaskIdLabel] = spec.TaskId.ToString() },
                Annotations = spec.EgressAllowList.Count > 0 && options.EgressProxyAddress is not null
                    ? new Dictionary<string, string> { [EgressTokenHashAnnotation] = EgressTokenHash(access.Token) }
                    : null,
            },
            Spec = new EnvironmentSpec
            {
                Type = V1Alpha1Environment.AgentWorkspace,
                AgentConfig = new AgentConfig
                {
                    TaskId = spec.TaskId.ToString(),
                    ProjectSlug = spec.Settings.TryGetValue(WorkspaceSpec.ProjectSetting, out var project) ? project : "",
                    Provider = spec.Provider.Name,
                    RunnerImage = options.RunnerImage,
                    RuntimeClassName = options.RuntimeClassName,
                    Launch = new AgentLaunchConfig
                    {
                        RepositoryUrl = spec.RepositoryUrl,
                        BaseBranch = spec.BaseBranch,
                        WorkBranch = spec.WorkBranch,
                        Instructions = spec.Instructions,
                        Context = spec.Context,
                        Phase = spec.Phase.ToString().ToLowerInvariant(),
                        Command = [.. command],
                        Setup = [.. launch.Setup.Select(step => (IList<string>)[.. step])],
                        Environment = launch.Environment.ToDictionary(),
                        HomeFiles = launch.HomeFiles.ToDictionary(),
                        Model = string.IsNullOrWhiteSpace(access.Model) ? spec.Provider.DefaultModel : access.Model,
                        CredentialVariables = [.. spec.Provider.CredentialVariables],
                        BaseUrlVariable = spec.Provider.BaseUrlVariable,
                        BaseUrlPath = basePath,
                        Hooks = new HooksConfig { Pre = [.. spec.Hooks.Pre], Post = [.. spec.Hooks.Post] },
                    },
                    Resources = new WorkspaceResourceConfig
                    {
                        Requests = new ResourceAmounts { Cpu = options.CpuRequest, Memory = memory },
                        Limits = new ResourceAmounts { Cpu = cpus, Memory = memory },
                    },
                    TimeoutSeconds = Math.Max(0, spec.TimeoutSeconds),
                    Egress = new EgressConfig
                    {
                        BrokerAddress = options.BrokerAddress,
                        AllowList = [.. spec.EgressAllowList],
                        ProxyAddress = spec.EgressAllowList.Count > 0 ? options.EgressProxyAddress : null,
                    },
                    CredentialSecretRef = new SecretReference { Name = AccessSecretName(spec.TaskId) },
                },
            },
        };
    }

    private async Task EndAsync(Guid taskId, string error) =>
        await new MessageBus(runtime).PublishAsync(new WorkspaceExited(taskId, WorkspaceEnd.Failed, null, error, null, _time.GetUtcNow()));
}
