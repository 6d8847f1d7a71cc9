using Microsoft.Extensions.Configuration;

namespace Catalyst.Operator.Kubernetes.Backend;

/// <summary>
/// The Host's side of the Kubernetes backend (<c>Catalyst__Workspaces__Backend=kubernetes</c>, then
/// <c>Catalyst__Workspaces__Kubernetes__*</c>).
/// </summary>
public sealed record KubernetesWorkspaceOptions
{
    public const string BackendKey = "Catalyst:Workspaces:Backend";

    /// <summary>Where the Host creates Environments and their access Secrets (the operator makes each task a namespace of its own).</summary>
    public string Namespace { get; init; } = "catalyst";

    /// <summary>The runner image (runner/Dockerfile) with the agent CLIs baked in.</summary>
    public string RunnerImage { get; init; } = "";

    /// <summary><c>gvisor</c>, <c>kata</c>, or none.</summary>
    public string? RuntimeClassName { get; init; }

    /// <summary>The broker as pods reach it: its own Service (deploy/kubernetes/host/broker-service.yaml).</summary>
    public string BrokerAddress { get; init; } = "http://catalyst-broker.catalyst.svc.cluster.local:8400";

    /// <summary>An egress proxy for projects' allowed hosts, as pods reach it; none: a workspace reaches the broker only.</summary>
    public string? EgressProxyAddress { get; init; }

    /// <summary>Where this Host's egress proxy listens (<c>http://0.0.0.0:3128</c>), as the broker's <c>Catalyst:Broker:Urls</c>; none: no proxy on this Host.</summary>
    public string? EgressProxyUrls { get; init; }

    public string? CpuRequest { get; init; }
    public string? CpuLimit { get; init; }

    public static bool IsSelected(IConfiguration configuration) =>
        string.Equals(configuration[BackendKey], "kubernetes", StringComparison.OrdinalIgnoreCase);

    public static KubernetesWorkspaceOptions FromConfiguration(IConfiguration configuration)
    {
        var section = configuration.GetSection("Catalyst:Workspaces:Kubernetes");
        var defaults = new KubernetesWorkspaceOptions();
        var image = section["RunnerImage"];
        if (string.IsNullOrWhiteSpace(image))
            throw new InvalidOperationException("Catalyst__Workspaces__Backend=kubernetes needs Catalyst__Workspaces__Kubernetes__RunnerImage: the runner image (runner/Dockerfile) the Jobs run.");
        return new KubernetesWorkspaceOptions
        {
            Namespace = Blank(section["Namespace"]) ?? defaults.Namespace,
            RunnerImage = image.Trim(),
            RuntimeClassName = Blank(section["RuntimeClassName"]),
            BrokerAddress = Blank(section["BrokerAddress"]) ?? defaults.BrokerAddress,
            EgressProxyAddress = Blank(section["EgressProxyAddress"]),
            EgressProxyUrls = Blank(section["EgressProxyUrls"]),
            CpuRequest = Blank(section["CpuRequest"]),
            CpuLimit = Blank(section["CpuLimit"]),
        };
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
