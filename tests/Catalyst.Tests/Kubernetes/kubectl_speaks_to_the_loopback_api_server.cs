using System.Text.Json.Nodes;
using Catalyst.KubernetesLoopback;
using k8s;

namespace Catalyst.Tests.Kubernetes;

[Trait("Category", "Kubernetes")]
public sealed class kubectl_speaks_to_the_loopback_api_server
{
    private const string EnvironmentYaml = """
        apiVersion: catalyst.dev/v1alpha1
        kind: Environment
        metadata:
          name: task-a1b2c3d4
          namespace: default
          labels:
            catalyst.dev/task: a1b2c3d4
        spec:
          type: agent-workspace
          agentConfig:
            taskId: a1b2c3d4
            provider: claude-code
        """;

    [Fact]
    public async Task kubectl_applies_a_crd_and_an_environment_lists_it_across_namespaces_and_deletes_it()
    {
        await using var server = await LoopbackApiServer.StartAsync();
        var crd = await LoopbackCluster.WriteFileAsync(server, "crd.yaml", LoopbackCluster.EnvironmentCrdYaml);
        var environment = await LoopbackCluster.WriteFileAsync(server, "environment.yaml", EnvironmentYaml);

        var applyCrd = await LoopbackCluster.KubectlAsync(server, "apply", "-f", crd);
        applyCrd.ExitCode.ShouldBe(0, applyCrd.Stderr);
        applyCrd.Stdout.ShouldContain("customresourcedefinition.apiextensions.k8s.io/environments.catalyst.dev created");

        var applyEnvironment = await LoopbackCluster.KubectlAsync(server, "apply", "-f", environment);
        applyEnvironment.ExitCode.ShouldBe(0, applyEnvironment.Stderr);
        applyEnvironment.Stdout.ShouldContain("environment.catalyst.dev/task-a1b2c3d4 created");

        var again = await LoopbackCluster.KubectlAsync(server, "apply", "-f", environment);
        again.ExitCode.ShouldBe(0, again.Stderr);
        again.Stdout.ShouldContain("environment.catalyst.dev/task-a1b2c3d4 unchanged");

        var get = await LoopbackCluster.KubectlAsync(server, "get", "environments", "-A", "-o", "json");
        get.ExitCode.ShouldBe(0, get.Stderr);
        var items = JsonNode.Parse(get.Stdout)!["items"]!.AsArray();
        items.Count.ShouldBe(1);
        ((string?)items[0]!["spec"]!["agentConfig"]!["provider"]).ShouldBe("claude-code");
        ((string?)items[0]!["metadata"]!["namespace"]).ShouldBe("default");

        var table = await LoopbackCluster.KubectlAsync(server, "get", "env", "-A");
        table.ExitCode.ShouldBe(0, table.Stderr);
        table.Stdout.ShouldContain("task-a1b2c3d4");

        var delete = await LoopbackCluster.KubectlAsync(server, "delete", "environment", "task-a1b2c3d4", "-n", "default");
        delete.ExitCode.ShouldBe(0, delete.Stderr);
        delete.Stdout.ShouldContain("environment.catalyst.dev \"task-a1b2c3d4\" deleted");
        var environments = server.Resource(LoopbackCluster.Group, LoopbackCluster.Plural);
        server.Store.Get(environments, "default", "task-a1b2c3d4").ShouldBeNull();

        var missing = await LoopbackCluster.KubectlAsync(server, "get", "environment", "task-a1b2c3d4", "-n", "default");
        missing.ExitCode.ShouldNotBe(0);
        missing.Stderr.ShouldContain("environments.catalyst.dev \"task-a1b2c3d4\" not found");
    }

    [Fact]
    public async Task kubectl_logs_follow_streams_a_running_job_pod_and_ends_with_it()
    {
        await using var server = await LoopbackApiServer.StartAsync();
        using var client = server.CreateClient();
        await client.BatchV1.CreateNamespacedJobAsync(LoopbackJobs.ShellJob("streaming",
            "echo \"first in $WORKSPACE\"; while [ ! -f \"$WORKSPACE/go\" ]; do sleep 0.05; done; echo second"), "default");
        var pod = await LoopbackJobs.PodOfAsync(server, "streaming");
        await LoopbackJobs.PodReachesAsync(server, pod, p => LoopbackJobs.Phase(p) == "Running");

        using var kubectl = LoopbackCluster.Kubectl(server, "logs", "-f", pod.Name(), "-n", "default");
        var first = await LoopbackJobs.ReadLineAsync(kubectl.StandardOutput);
        first.ShouldStartWith("first in /");
        kubectl.HasExited.ShouldBeFalse();
        await File.WriteAllTextAsync(Path.Combine(first["first in ".Length..], "go"), "");

        (await LoopbackJobs.ReadLineAsync(kubectl.StandardOutput)).ShouldBe("second");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await kubectl.WaitForExitAsync(timeout.Token);
        kubectl.ExitCode.ShouldBe(0, await kubectl.StandardError.ReadToEndAsync());
    }
}
