using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Catalyst.KubernetesLoopback;
using k8s;
using k8s.Models;

namespace Catalyst.Tests.Kubernetes;

/// <summary>What the Kubernetes tests share: the Environment CRD, custom-object shortcuts and the real kubectl.</summary>
internal static class LoopbackCluster
{
    public const string Group = "catalyst.dev";
    public const string Version = "v1alpha1";
    public const string Plural = "environments";

    public const string EnvironmentCrdYaml = """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: environments.catalyst.dev
        spec:
          group: catalyst.dev
          scope: Namespaced
          names:
            plural: environments
            singular: environment
            kind: Environment
            shortNames: [env]
          versions:
          - name: v1alpha1
            served: true
            storage: true
            subresources:
              status: {}
            schema:
              openAPIV3Schema:
                type: object
                x-kubernetes-preserve-unknown-fields: true
        """;

    public static V1CustomResourceDefinition EnvironmentCrd() => KubernetesYaml.Deserialize<V1CustomResourceDefinition>(EnvironmentCrdYaml);

    public static async Task<LoopbackApiServer> StartWithEnvironmentsAsync(Action<LoopbackOptions>? configure = null)
    {
        var server = await LoopbackApiServer.StartAsync(configure);
        using var client = server.CreateClient();
        await client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(EnvironmentCrd());
        return server;
    }

    public static JsonObject Environment(string name, string ns = "default", string taskId = "t-1") => new()
    {
        ["apiVersion"] = $"{Group}/{Version}",
        ["kind"] = "Environment",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["labels"] = new JsonObject { ["catalyst.dev/task"] = taskId } },
        ["spec"] = new JsonObject { ["type"] = "agent-workspace", ["agentConfig"] = new JsonObject { ["taskId"] = taskId } },
    };

    public static JsonObject Node(object response) => JsonSerializer.SerializeToNode(response)!.AsObject();

    public static async Task<JsonObject> CreateEnvironmentAsync(this IKubernetes client, JsonObject environment) =>
        Node(await client.CustomObjects.CreateNamespacedCustomObjectAsync(environment, Group, Version, (string)environment["metadata"]!["namespace"]!, Plural));

    public static async Task<JsonObject> GetEnvironmentAsync(this IKubernetes client, string name, string ns = "default") =>
        Node(await client.CustomObjects.GetNamespacedCustomObjectAsync(Group, Version, ns, Plural, name));

    public static async Task<V1Namespace> CreateNamespaceAsync(this IKubernetes client, string name) =>
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name } });

    public static int StatusCode(this k8s.Autorest.HttpOperationException e) => (int)e.Response.StatusCode;

    public static JsonObject StatusBody(this k8s.Autorest.HttpOperationException e) => JsonNode.Parse(e.Response.Content)!.AsObject();

    /// <summary>Runs the real kubectl against the server; answers its exit code and output.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> KubectlAsync(LoopbackApiServer server, params string[] args)
    {
        using var process = Kubectl(server, args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts the real kubectl against the server, its output left for the caller to read as it comes.</summary>
    public static Process Kubectl(LoopbackApiServer server, params string[] args)
    {
        var start = new ProcessStartInfo("kubectl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("--kubeconfig");
        start.ArgumentList.Add(server.KubeconfigPath);
        start.ArgumentList.Add("--cache-dir");
        start.ArgumentList.Add(Path.Combine(Path.GetDirectoryName(server.KubeconfigPath)!, "kubectl-cache"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        return Process.Start(start)!;
    }

    public static async Task<string> WriteFileAsync(LoopbackApiServer server, string name, string text)
    {
        var path = Path.Combine(Path.GetDirectoryName(server.KubeconfigPath)!, name);
        await File.WriteAllTextAsync(path, text);
        return path;
    }
}
