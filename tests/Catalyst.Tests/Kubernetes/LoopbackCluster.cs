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

    /// <summary>The repository's runner/ directory, which the runner image carries at /runner.</summary>
    public static string RunnerDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "runner", "entrypoint.sh"))) return Path.Combine(dir.FullName, "runner");
        throw new DirectoryNotFoundException("runner/entrypoint.sh not found above " + AppContext.BaseDirectory);
    }

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

/// <summary>Jobs as the operator writes them, with a shell script for a container.</summary>
internal static class LoopbackJobs
{
    public static V1Job ShellJob(string name, string script, Action<V1Job>? adjust = null)
    {
        var job = new V1Job
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1JobSpec
            {
                BackoffLimit = 0,
                Template = new V1PodTemplateSpec
                {
                    Spec = new V1PodSpec
                    {
                        RestartPolicy = "Never",
                        Containers =
                        [
                            new V1Container
                            {
                                Name = "runner",
                                Image = "catalyst/runner:test",
                                Command = ["sh", "-c", script],
                                Env = [new V1EnvVar { Name = "WORKSPACE", Value = "/workspace" }],
                                VolumeMounts = [new V1VolumeMount { Name = "workspace", MountPath = "/workspace" }],
                            },
                        ],
                        Volumes = [new V1Volume { Name = "workspace", EmptyDir = new V1EmptyDirVolumeSource() }],
                    },
                },
            },
        };
        adjust?.Invoke(job);
        return job;
    }

    public static async Task<JsonObject> PodOfAsync(LoopbackApiServer server, string job, string ns = "default") =>
        (await server.WaitForListAsync(ResourceCatalog.Pods, ns, pods => pods.Count == 1, labelSelector: $"batch.kubernetes.io/job-name={job}"))[0];

    public static string Name(this JsonObject obj) => (string)obj["metadata"]!["name"]!;

    public static Task<JsonObject?> PodReachesAsync(LoopbackApiServer server, JsonObject pod, Func<JsonObject, bool> condition) =>
        server.WaitForAsync(ResourceCatalog.Pods, (string)pod["metadata"]!["namespace"]!, pod.Name(), p => p is not null && condition(p));

    public static string? Phase(JsonObject pod) => (string?)pod["status"]?["phase"];

    public static JsonNode? Terminated(JsonObject pod) => pod["status"]?["containerStatuses"]?[0]?["state"]?["terminated"];

    public static bool HasCondition(JsonObject obj, string type, string? reason = null) =>
        (obj["status"]?["conditions"] as JsonArray)?.Any(c => (string?)c?["type"] == type && (string?)c?["status"] == "True"
                                                            && (reason is null || (string?)c?["reason"] == reason)) == true;

    /// <summary>Reads a followed log line by line, each line as it arrives.</summary>
    public static async Task<string> ReadLineAsync(StreamReader reader, TimeSpan? timeout = null) =>
        await reader.ReadLineAsync().WaitAsync(timeout ?? TimeSpan.FromSeconds(20)) ?? throw new EndOfStreamException("the log ended");
}
