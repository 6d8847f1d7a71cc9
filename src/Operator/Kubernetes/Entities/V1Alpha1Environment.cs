using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Catalyst.Operator.Kubernetes.Entities;

/// <summary>
/// One task's workspace on a cluster (<c>environments.catalyst.dev</c>): the Host creates it, the operator turns it
/// into a namespace of its own and a Job, and writes what happened to <see cref="Status"/> through <c>/status</c> only.
/// The CRD in deploy/kubernetes/crd/environments.catalyst.dev.yaml is kept in step with these types by a test.
/// </summary>
public sealed class V1Alpha1Environment : IKubernetesObject<V1ObjectMeta>
{
    public const string Group = "catalyst.dev";
    public const string Version = "v1alpha1";
    public const string EntityKind = "Environment";
    public const string Plural = "environments";
    public const string ApiGroupVersion = Group + "/" + Version;
    public const string AgentWorkspace = "agent-workspace";

    [JsonPropertyName("apiVersion")] public string ApiVersion { get; set; } = ApiGroupVersion;
    [JsonPropertyName("kind")] public string Kind { get; set; } = EntityKind;
    [JsonPropertyName("metadata")] public V1ObjectMeta Metadata { get; set; } = new();
    [JsonPropertyName("spec")] public EnvironmentSpec Spec { get; set; } = new();
    [JsonPropertyName("status")] public EnvironmentStatus? Status { get; set; }
}

public sealed class V1Alpha1EnvironmentList : IKubernetesObject<V1ListMeta>, IItems<V1Alpha1Environment>
{
    [JsonPropertyName("apiVersion")] public string ApiVersion { get; set; } = V1Alpha1Environment.ApiGroupVersion;
    [JsonPropertyName("kind")] public string Kind { get; set; } = "EnvironmentList";
    [JsonPropertyName("metadata")] public V1ListMeta Metadata { get; set; } = new();
    [JsonPropertyName("items")] public IList<V1Alpha1Environment> Items { get; set; } = [];
}

public sealed class EnvironmentSpec
{
    /// <summary>What the environment is for; only <c>agent-workspace</c> today.</summary>
    [JsonPropertyName("type")] public string Type { get; set; } = V1Alpha1Environment.AgentWorkspace;

    [JsonPropertyName("agentConfig")] public AgentConfig AgentConfig { get; set; } = new();

    /// <summary>Set by the Host to end the workspace early (cancel, budget): the Job is deleted and the phase becomes Cancelled or Failed.</summary>
    [JsonPropertyName("stop")] public EnvironmentStop? Stop { get; set; }
}

public sealed class EnvironmentStop
{
    [JsonPropertyName("reason")] public string Reason { get; set; } = "";

    /// <summary><c>Cancelled</c> (the default) or <c>Failed</c>.</summary>
    [JsonPropertyName("end")] public string End { get; set; } = "Cancelled";
}

public sealed class AgentConfig
{
    [JsonPropertyName("taskId")] public string TaskId { get; set; } = "";
    [JsonPropertyName("projectSlug")] public string ProjectSlug { get; set; } = "";
    [JsonPropertyName("provider")] public string Provider { get; set; } = "";
    [JsonPropertyName("runnerImage")] public string RunnerImage { get; set; } = "";

    /// <summary>The pod's RuntimeClass (<c>gvisor</c>, <c>kata</c>); null: the operator's default.</summary>
    [JsonPropertyName("runtimeClassName")] public string? RuntimeClassName { get; set; }
    [JsonPropertyName("launch")] public AgentLaunchConfig Launch { get; set; } = new();
    [JsonPropertyName("resources")] public WorkspaceResourceConfig Resources { get; set; } = new();

    /// <summary>The Job's <c>activeDeadlineSeconds</c>; 0: no deadline.</summary>
    [JsonPropertyName("timeoutSeconds")] public int TimeoutSeconds { get; set; }

    [JsonPropertyName("egress")] public EgressConfig Egress { get; set; } = new();

    /// <summary>The Secret (beside the Environment) holding the task token; never a key, and never the token itself here.</summary>
    [JsonPropertyName("credentialSecretRef")] public SecretReference CredentialSecretRef { get; set; } = new();
}

/// <summary>What the runner needs to start the agent: the repository, the prompt and the provider's command lines.</summary>
public sealed class AgentLaunchConfig
{
    [JsonPropertyName("repositoryUrl")] public string RepositoryUrl { get; set; } = "";
    [JsonPropertyName("baseBranch")] public string BaseBranch { get; set; } = "";
    [JsonPropertyName("workBranch")] public string WorkBranch { get; set; } = "";
    [JsonPropertyName("instructions")] public string Instructions { get; set; } = "";
    [JsonPropertyName("context")] public string? Context { get; set; }

    /// <summary><c>run</c>, <c>plan</c> or <c>execute</c>.</summary>
    [JsonPropertyName("phase")] public string Phase { get; set; } = "run";

    /// <summary>The provider's command line for this phase, placeholders unreplaced.</summary>
    [JsonPropertyName("command")] public IList<string> Command { get; set; } = [];
    [JsonPropertyName("setup")] public IList<IList<string>> Setup { get; set; } = [];
    [JsonPropertyName("environment")] public IDictionary<string, string> Environment { get; set; } = new Dictionary<string, string>();
    [JsonPropertyName("homeFiles")] public IDictionary<string, string> HomeFiles { get; set; } = new Dictionary<string, string>();
    [JsonPropertyName("model")] public string? Model { get; set; }

    /// <summary>Names of the variables that get the task token (its value comes from the credential Secret).</summary>
    [JsonPropertyName("credentialVariables")] public IList<string> CredentialVariables { get; set; } = [];
    [JsonPropertyName("baseUrlVariable")] public string? BaseUrlVariable { get; set; }

    /// <summary>The path of the vendor's base URL (<c>/v1</c>), appended to the broker's address.</summary>
    [JsonPropertyName("baseUrlPath")] public string? BaseUrlPath { get; set; }

    [JsonPropertyName("hooks")] public HooksConfig Hooks { get; set; } = new();
}

public sealed class HooksConfig
{
    [JsonPropertyName("pre")] public IList<string> Pre { get; set; } = [];
    [JsonPropertyName("post")] public IList<string> Post { get; set; } = [];
}

public sealed class WorkspaceResourceConfig
{
    [JsonPropertyName("requests")] public ResourceAmounts Requests { get; set; } = new();
    [JsonPropertyName("limits")] public ResourceAmounts Limits { get; set; } = new();
}

/// <summary>Quantities as Kubernetes writes them: <c>cpu: "2"</c>, <c>memory: 2Gi</c>.</summary>
public sealed class ResourceAmounts
{
    [JsonPropertyName("cpu")] public string? Cpu { get; set; }
    [JsonPropertyName("memory")] public string? Memory { get; set; }
}

public sealed class EgressConfig
{
    /// <summary>The broker's address as pods reach it (<c>http://catalyst-broker.catalyst.svc:8400</c>).</summary>
    [JsonPropertyName("brokerAddress")] public string BrokerAddress { get; set; } = "";

    /// <summary>The project's allowed hosts (<c>registry.npmjs.org</c>, <c>*.pypi.org</c>, <c>git.example.com:22</c>), reached through the egress proxy.</summary>
    [JsonPropertyName("allowList")] public IList<string> AllowList { get; set; } = [];

    /// <summary>The egress proxy's address as pods reach it; without it an allow-list opens nothing.</summary>
    [JsonPropertyName("proxyAddress")] public string? ProxyAddress { get; set; }
}

public sealed class SecretReference
{
    [JsonPropertyName("name")] public string Name { get; set; } = "";
}
