using System.Globalization;
using System.Text;
using Catalyst.Contracts;
using Catalyst.Operator.Kubernetes.Entities;
using Catalyst.Operator.Workspaces;
using k8s.Models;

namespace Catalyst.Operator.Kubernetes.Controllers;

/// <summary>
/// What an agent-workspace Environment's children should look like: pure values, compared with what the cluster holds
/// by <see cref="EnvironmentController"/>. The task's own namespace holds everything; nothing in it may reach anything
/// but DNS and the broker (and the egress proxy when the project allows hosts); no service account token is mounted.
/// </summary>
public static class WorkspaceChildren
{
    public const string WorkspaceMount = "/workspace";
    public const string LaunchMount = "/catalyst/launch";
    public const string HomeFilesMount = "/catalyst/home";
    public const string RunnerEntrypoint = "/usr/local/lib/catalyst-runner/entrypoint.sh";
    public const string RepositoryCacheScript = "/usr/local/lib/catalyst-runner/repository-cache.sh";
    /// <summary>Where a pod sees the node's repository caches (<see cref="KubernetesOperatorOptions.RepositoryCacheHostPath"/>).</summary>
    public const string RepositoryCacheMount = "/var/cache/catalyst/repositories";
    public const string RepositoryCacheContainerName = "repository-cache";
    public const int RunnerUid = 1000;

    public static V1Namespace Namespace(TaskWorkspace workspace) => new()
    {
        ApiVersion = "v1",
        Kind = "Namespace",
        Metadata = new V1ObjectMeta { Name = workspace.Namespace, Labels = workspace.Labels },
    };

    public static V1ResourceQuota ResourceQuota(TaskWorkspace workspace, KubernetesOperatorOptions options)
    {
        var (requests, limits) = Resources(workspace, options);
        var hard = new Dictionary<string, ResourceQuantity> { ["pods"] = new("2") };
        foreach (var (name, quantity) in requests) hard[$"requests.{name}"] = quantity;
        foreach (var (name, quantity) in limits) hard[$"limits.{name}"] = quantity;
        return new V1ResourceQuota
        {
            ApiVersion = "v1",
            Kind = "ResourceQuota",
            Metadata = Meta(workspace, TaskWorkspace.QuotaName),
            Spec = new V1ResourceQuotaSpec { Hard = hard },
        };
    }

    public static V1LimitRange LimitRange(TaskWorkspace workspace, KubernetesOperatorOptions options)
    {
        var (requests, limits) = Resources(workspace, options);
        return new V1LimitRange
        {
            ApiVersion = "v1",
            Kind = "LimitRange",
            Metadata = Meta(workspace, TaskWorkspace.LimitRangeName),
            Spec = new V1LimitRangeSpec
            {
                Limits = [new V1LimitRangeItem { Type = "Container", DefaultRequest = requests, DefaultProperty = limits, Max = limits }],
            },
        };
    }

    /// <summary>Deny everything in and out; allow DNS to kube-dns, the broker's pods, and the egress proxy's when the project allows hosts.</summary>
    public static V1NetworkPolicy NetworkPolicy(TaskWorkspace workspace, KubernetesOperatorOptions options)
    {
        var environment = workspace.Environment;
        var egress = new List<V1NetworkPolicyEgressRule>
        {
            new()
            {
                To = [new V1NetworkPolicyPeer
                {
                    NamespaceSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["kubernetes.io/metadata.name"] = "kube-system" } },
                    PodSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["k8s-app"] = "kube-dns" } },
                }],
                Ports = [new V1NetworkPolicyPort { Protocol = "UDP", Port = 53 }, new V1NetworkPolicyPort { Protocol = "TCP", Port = 53 }],
            },
            new()
            {
                To = [Peer(options.BrokerNamespace ?? environment.Metadata.NamespaceProperty, options.BrokerPodLabels)],
                Ports = [new V1NetworkPolicyPort { Protocol = "TCP", Port = PortOf(environment.Spec.AgentConfig.Egress.BrokerAddress, 8400) }],
            },
        };
        if (EgressProxy(environment.Spec.AgentConfig) is { } proxyAddress)
            egress.Add(new V1NetworkPolicyEgressRule
            {
                To = [Peer(options.BrokerNamespace ?? environment.Metadata.NamespaceProperty, options.EgressProxyPodLabels)],
                Ports = [new V1NetworkPolicyPort { Protocol = "TCP", Port = PortOf(proxyAddress, 3128) }],
            });
        return new V1NetworkPolicy
        {
            ApiVersion = "networking.k8s.io/v1",
            Kind = "NetworkPolicy",
            Metadata = Meta(workspace, TaskWorkspace.NetworkPolicyName),
            Spec = new V1NetworkPolicySpec
            {
                PodSelector = new V1LabelSelector(),
                PolicyTypes = ["Ingress", "Egress"],
                Ingress = [],
                Egress = egress,
            },
        };
    }

    public static V1ServiceAccount ServiceAccount(TaskWorkspace workspace) => new()
    {
        ApiVersion = "v1",
        Kind = "ServiceAccount",
        Metadata = Meta(workspace, TaskWorkspace.ServiceAccountName),
        AutomountServiceAccountToken = false,
    };

    /// <summary>The task token and the broker's address (environment only), and the launch's files (mounted).</summary>
    public static V1Secret Secret(TaskWorkspace workspace, string taskToken)
    {
        var launch = Launch(workspace);
        var data = new Dictionary<string, byte[]>
        {
            ["token"] = Encoding.UTF8.GetBytes(taskToken),
            ["broker-address"] = Encoding.UTF8.GetBytes(workspace.Environment.Spec.AgentConfig.Egress.BrokerAddress),
        };
        if (EgressProxy(workspace.Environment.Spec.AgentConfig) is { } proxy)
            data["egress-proxy"] = Encoding.UTF8.GetBytes(ProxyWithCredentials(proxy, workspace.Environment.Spec.AgentConfig.TaskId, taskToken));
        foreach (var (key, content) in launch.Files) data[key] = Encoding.UTF8.GetBytes(content);
        foreach (var (index, (_, content)) in launch.HomeFiles.Index()) data[$"home-{index}"] = Encoding.UTF8.GetBytes(content);
        return new V1Secret
        {
            ApiVersion = "v1",
            Kind = "Secret",
            Metadata = Meta(workspace, TaskWorkspace.SecretName),
            Type = "Opaque",
            Data = data,
        };
    }

    /// <summary>The egress proxy's address when the project allows hosts and a proxy is configured; null: the broker only.</summary>
    public static string? EgressProxy(AgentConfig config) =>
        config.Egress.AllowList.Count > 0 && config.Egress.ProxyAddress is { Length: > 0 } proxy ? proxy : null;

    /// <summary><c>http://&lt;task id&gt;:&lt;task token&gt;@proxy:3128</c>: the proxy lets a pod use its own task's allow-list only.</summary>
    public static string ProxyWithCredentials(string proxy, string taskId, string taskToken)
    {
        var builder = new UriBuilder(proxy) { UserName = Uri.EscapeDataString(taskId), Password = Uri.EscapeDataString(taskToken) };
        return builder.Uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.UserInfo, UriFormat.UriEscaped);
    }

    /// <summary>The kept workspace of a plan-first task (<see cref="TaskWorkspace.KeepsWorkspace"/>): it goes with the task namespace.</summary>
    public static V1PersistentVolumeClaim WorkspaceClaim(TaskWorkspace workspace, KubernetesOperatorOptions options) => new()
    {
        ApiVersion = "v1",
        Kind = "PersistentVolumeClaim",
        Metadata = Meta(workspace, TaskWorkspace.ClaimName),
        Spec = new V1PersistentVolumeClaimSpec
        {
            AccessModes = ["ReadWriteOnce"],
            StorageClassName = options.WorkspaceStorageClassName,
            Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new(options.WorkspaceStorage) } },
        },
    };

    public static V1Job Job(TaskWorkspace workspace, KubernetesOperatorOptions options)
    {
        var config = workspace.Environment.Spec.AgentConfig;
        var launch = Launch(workspace);
        var (requests, limits) = Resources(workspace, options);

        // The runner's environment as the local backend has it, with the pod's paths; the grace is the pod's own.
        var env = launch.Environment.Select(e => Env(e.Key, e.Value)).ToList();
        env.RemoveAll(e => e.Name == "CATALYST_AGENT_GRACE_SECONDS");
        env.Add(Env("CATALYST_AGENT_GRACE_SECONDS", Math.Max(1, options.TerminationGraceSeconds / 2).ToString(CultureInfo.InvariantCulture)));
        if (launch.HomeFiles.Count > 0) env.Add(Env("CATALYST_HOME_FILES_DIR", HomeFilesMount));
        // The task token, never a key, and only from the Secret.
        foreach (var name in config.Launch.CredentialVariables)
            env.Add(FromSecret(name, "token"));
        env.Add(FromSecret("CATALYST_BROKER_ADDRESS", "broker-address"));
        if (EgressProxy(config) is not null)
        {
            // The proxy's address with the task's credentials: from the Secret only, as the token is.
            foreach (var name in new[] { "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy" }) env.Add(FromSecret(name, "egress-proxy"));
            var brokerHost = Uri.TryCreate(config.Egress.BrokerAddress, UriKind.Absolute, out var broker) ? broker.Host : "";
            env.Add(Env("NO_PROXY", brokerHost));
            env.Add(Env("no_proxy", brokerHost));
        }

        var volumes = new List<V1Volume>
        {
            workspace.KeepsWorkspace
                ? new V1Volume { Name = "workspace", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = TaskWorkspace.ClaimName } }
                : new V1Volume { Name = "workspace", EmptyDir = new V1EmptyDirVolumeSource() },
            new V1Volume { Name = "tmp", EmptyDir = new V1EmptyDirVolumeSource() },
            new V1Volume { Name = "launch", Secret = new V1SecretVolumeSource
            {
                SecretName = TaskWorkspace.SecretName,
                DefaultMode = Convert.ToInt32("0444", 8),
                Items = launch.Files.Keys.Order(StringComparer.Ordinal).Select(k => new V1KeyToPath { Key = k, Path = k }).ToList(),
            } },
        };
        var mounts = new List<V1VolumeMount>
        {
            new V1VolumeMount { MountPath = WorkspaceMount, Name = "workspace" },
            new V1VolumeMount { MountPath = "/tmp", Name = "tmp" },
            new V1VolumeMount { MountPath = LaunchMount, Name = "launch", ReadOnlyProperty = true },
        };
        if (launch.HomeFiles.Count > 0)
        {
            volumes.Add(new V1Volume { Name = "home-files", Secret = new V1SecretVolumeSource
            {
                SecretName = TaskWorkspace.SecretName,
                DefaultMode = Convert.ToInt32("0444", 8),
                Items = launch.HomeFiles.Select((file, index) => new V1KeyToPath { Key = $"home-{index}", Path = file.Path }).ToList(),
            } });
            mounts.Add(new V1VolumeMount { MountPath = HomeFilesMount, Name = "home-files", ReadOnlyProperty = true });
        }

        // The node's repository cache: fetched by an init container, the only part of the pod that may write it; the
        // runner's container, where the agent runs too, reads it. Not for a plan-first task: its kept clone may be carried
        // on by a pod on another node, whose cache would not hold the objects the clone borrows.
        List<V1Container>? initContainers = null;
        if (options.RepositoryCacheHostPath is { Length: > 0 } cacheDirectory && launch.Environment.TryGetValue("CATALYST_REPOSITORY_URL", out var repositoryUrl)
            && !workspace.KeepsWorkspace)
        {
            var cache = Operator.Workspaces.RepositoryCache.PathFor(RepositoryCacheMount, repositoryUrl).Replace('\\', '/');
            volumes.Add(new V1Volume { Name = "repositories", HostPath = new V1HostPathVolumeSource { Path = cacheDirectory, Type = "DirectoryOrCreate" } });
            mounts.Add(new V1VolumeMount { MountPath = RepositoryCacheMount, Name = "repositories", ReadOnlyProperty = true });
            env.Add(Env("CATALYST_REPOSITORY_CACHE", cache));
            env.Add(Env("CATALYST_REPOSITORY_CACHE_READ_ONLY", "1"));
            // The origin as the runner reaches it: its URL, and the egress proxy when the project allows hosts.
            var fetchEnv = env.Where(e => e.Name is "CATALYST_REPOSITORY_URL" or "HTTP_PROXY" or "HTTPS_PROXY" or "http_proxy" or "https_proxy" or "NO_PROXY" or "no_proxy")
                .Append(Env("CATALYST_REPOSITORY_CACHE", cache))
                .Append(Env("CATALYST_REPOSITORY_CACHE_WAIT_SECONDS", "120"))
                .Append(Env("HOME", "/tmp"))
                .ToList();
            initContainers =
            [
                new V1Container
                {
                    Name = RepositoryCacheContainerName,
                    Image = config.RunnerImage,
                    Command = ["/bin/bash", RepositoryCacheScript],
                    WorkingDir = "/tmp",
                    Env = fetchEnv,
                    VolumeMounts =
                    [
                        new V1VolumeMount { MountPath = RepositoryCacheMount, Name = "repositories" },
                        new V1VolumeMount { MountPath = "/tmp", Name = "tmp" },
                    ],
                    Resources = new V1ResourceRequirements { Requests = requests, Limits = limits },
                    SecurityContext = RestrictedContainer(),
                },
            ];
        }

        var labels = new Dictionary<string, string>(workspace.Labels);
        return new V1Job
        {
            ApiVersion = "batch/v1",
            Kind = "Job",
            Metadata = Meta(workspace, workspace.CurrentJobName),
            Spec = new V1JobSpec
            {
                BackoffLimit = 0,
                ActiveDeadlineSeconds = config.TimeoutSeconds > 0 ? config.TimeoutSeconds : null,
                TtlSecondsAfterFinished = options.JobTtlSecondsAfterFinished,
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = labels },
                    Spec = new V1PodSpec
                    {
                        RestartPolicy = "Never",
                        ServiceAccountName = TaskWorkspace.ServiceAccountName,
                        AutomountServiceAccountToken = false,
                        EnableServiceLinks = false,
                        RuntimeClassName = config.RuntimeClassName ?? options.RuntimeClassName,
                        TerminationGracePeriodSeconds = options.TerminationGraceSeconds,
                        SecurityContext = new V1PodSecurityContext
                        {
                            RunAsNonRoot = true,
                            RunAsUser = RunnerUid,
                            RunAsGroup = RunnerUid,
                            FsGroup = RunnerUid,
                            SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
                        },
                        Containers =
                        [
                            new V1Container
                            {
                                Name = TaskWorkspace.ContainerName,
                                Image = config.RunnerImage,
                                // Through bash: the script need not carry an executable bit.
                                Command = ["/bin/bash", RunnerEntrypoint],
                                WorkingDir = WorkspaceMount,
                                Env = env,
                                VolumeMounts = mounts,
                                Resources = new V1ResourceRequirements { Requests = requests, Limits = limits },
                                SecurityContext = RestrictedContainer(),
                            },
                        ],
                        InitContainers = initContainers,
                        Volumes = volumes,
                    },
                },
            },
        };
    }

    private static V1SecurityContext RestrictedContainer() => new()
    {
        RunAsNonRoot = true,
        ReadOnlyRootFilesystem = true,
        AllowPrivilegeEscalation = false,
        Privileged = false,
        Capabilities = new V1Capabilities { Drop = ["ALL"] },
        SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
    };

    /// <summary>"2 GiB" for 2Gi: the figure a task's out-of-memory message names.</summary>
    public static string DescribeMemory(TaskWorkspace workspace, KubernetesOperatorOptions options)
    {
        var (_, limits) = Resources(workspace, options);
        if (!limits.TryGetValue("memory", out var memory)) return "its memory limit";
        var bytes = memory.ToDecimal();
        const decimal gib = 1024m * 1024 * 1024, mib = 1024m * 1024;
        return bytes % gib == 0 ? $"{bytes / gib:0} GiB" : $"{Math.Round(bytes / mib):0} MiB";
    }

    internal static (Dictionary<string, ResourceQuantity> Requests, Dictionary<string, ResourceQuantity> Limits) Resources(TaskWorkspace workspace, KubernetesOperatorOptions options)
    {
        var resources = workspace.Environment.Spec.AgentConfig.Resources;
        var limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new(resources.Limits.Memory ?? options.DefaultMemoryLimit) };
        if (resources.Limits.Cpu is { Length: > 0 } cpuLimit) limits["cpu"] = new(cpuLimit);
        var requests = new Dictionary<string, ResourceQuantity>
        {
            ["memory"] = new(resources.Requests.Memory ?? resources.Limits.Memory ?? options.DefaultMemoryLimit),
            ["cpu"] = new(resources.Requests.Cpu ?? "100m"),
        };
        return (requests, limits);
    }

    // ---- The launch: files, environment and the agent's argv, with the pod's own paths ----

    /// <summary>The launch files (mounted at <see cref="LaunchMount"/>), the provider's home files (relative to HOME), the runner's environment without the token, and the agent's base URL.</summary>
    public sealed record PodLaunch(IReadOnlyDictionary<string, string> Files, IReadOnlyList<(string Path, string Content)> HomeFiles,
        IReadOnlyDictionary<string, string> Environment, string BaseUrl);

    /// <summary>
    /// The local backend's launch (<see cref="WorkspaceLaunch.For"/>) of the Environment's task, laid out for the pod: the
    /// workspace is the emptyDir at <see cref="WorkspaceMount"/>, the launch files come read-only from the Secret. The
    /// token is left out (the Job takes it from the Secret), and so is PATH (the runner image's own).
    /// </summary>
    public static PodLaunch Launch(TaskWorkspace workspace)
    {
        var config = workspace.Environment.Spec.AgentConfig;
        var launch = config.Launch;
        var baseUrl = config.Egress.BrokerAddress is { Length: > 0 } broker ? broker.TrimEnd('/') + (launch.BaseUrlPath ?? "").TrimEnd('/') : "";
        var command = (IReadOnlyList<string>)[.. launch.Command];
        var provider = new AgentProviderInfo(config.Provider, config.Provider, "", true, [], [.. launch.CredentialVariables], launch.BaseUrlVariable,
            launch.Model, null, new AgentLaunch(command, launch.Environment.ToDictionary(), launch.HomeFiles.ToDictionary(), "text")
            {
                Setup = [.. launch.Setup.Select(step => (IReadOnlyList<string>)[.. step])],
                PlanCommand = command,
                ResumeCommand = command,
            });
        // The Host's task ids are UUIDs; another id keeps its own text in the environment (its session id is then empty).
        var taskId = Guid.TryParse(config.TaskId, out var id) ? id : Guid.Empty;
        var phase = Enum.TryParse<WorkspacePhase>(launch.Phase, ignoreCase: true, out var parsed) ? parsed : WorkspacePhase.Run;
        var spec = new WorkspaceSpec(taskId, launch.RepositoryUrl, launch.BaseBranch,
            string.IsNullOrWhiteSpace(launch.WorkBranch) ? $"catalyst/{workspace.ShortId}" : launch.WorkBranch,
            launch.Instructions, launch.Context, provider, Guid.Empty, config.TimeoutSeconds, new Dictionary<string, string>())
        {
            Phase = phase,
            Hooks = new ProjectHooks([.. launch.Hooks.Pre], [.. launch.Hooks.Post]),
        };
        var access = new TaskAccess(taskId, "", launch.Model, "");
        var laid = WorkspaceLaunch.For(spec, access, new WorkspaceLaunchSettings
        {
            Directory = WorkspaceMount,
            FilesDirectory = LaunchMount,
            EntrypointPath = RunnerEntrypoint,
            PathDirectories = [],
            AgentBaseUrl = baseUrl,
        });

        var homePrefix = WorkspaceLaunch.HomeDirectory + "/";
        var files = laid.Files.Where(f => !f.Key.StartsWith(homePrefix, StringComparison.Ordinal)).ToDictionary();
        var home = laid.Files.Where(f => f.Key.StartsWith(homePrefix, StringComparison.Ordinal))
            .Select(f => (f.Key[homePrefix.Length..], f.Value)).OrderBy(f => f.Item1, StringComparer.Ordinal).ToList();
        var environment = laid.Environment.Where(e => e.Key != "PATH" && !launch.CredentialVariables.Contains(e.Key)).ToDictionary();
        environment["CATALYST_TASK_ID"] = config.TaskId;
        return new PodLaunch(files, home, environment, baseUrl);
    }

    private static V1EnvVar Env(string name, string value) => new() { Name = name, Value = value };

    private static V1EnvVar FromSecret(string name, string key) => new()
    {
        Name = name,
        ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = TaskWorkspace.SecretName, Key = key } },
    };

    private static V1ObjectMeta Meta(TaskWorkspace workspace, string name) =>
        new() { Name = name, NamespaceProperty = workspace.Namespace, Labels = workspace.Labels };

    private static V1NetworkPolicyPeer Peer(string @namespace, IReadOnlyDictionary<string, string> podLabels) => new()
    {
        NamespaceSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["kubernetes.io/metadata.name"] = @namespace } },
        PodSelector = new V1LabelSelector { MatchLabels = podLabels.ToDictionary() },
    };

    private static IntOrString PortOf(string address, int fallback) =>
        Uri.TryCreate(address, UriKind.Absolute, out var uri) && !uri.IsDefaultPort ? uri.Port : Uri.TryCreate(address, UriKind.Absolute, out var known) ? known.Port : fallback;
}
