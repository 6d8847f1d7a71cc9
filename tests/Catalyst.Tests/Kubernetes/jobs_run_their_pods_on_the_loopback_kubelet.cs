using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Catalyst.KubernetesLoopback;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Catalyst.Tests.Kubernetes;

[Trait("Category", "Kubernetes")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class jobs_run_their_pods_on_the_loopback_kubelet
{
    [Fact]
    public async Task a_jobs_pod_runs_a_script_from_its_image_with_env_from_a_secret_and_its_log_streams_while_it_runs()
    {
        var image = Directory.CreateTempSubdirectory("catalyst-image-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(image, "entrypoint.sh"), """
                #!/bin/sh
                echo "started with $CATALYST_TASK_TOKEN in $WORKSPACE"
                echo "$GREETING" > "$WORKSPACE/greeting.txt"
                while [ ! -f "$WORKSPACE/go" ]; do sleep 0.05; done
                echo "finished" >&2
                exit 0
                """);
            File.SetUnixFileMode(Path.Combine(image, "entrypoint.sh"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            await using var server = await LoopbackApiServer.StartAsync(o => o.Images.Add(new ImageMount("catalyst/runner:*", image, "/runner")));
            using var client = server.CreateClient();
            await client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
            {
                Metadata = new V1ObjectMeta { Name = "task-env" },
                StringData = new Dictionary<string, string> { ["CATALYST_TASK_TOKEN"] = "tok-123" },
            }, "default");
            await client.BatchV1.CreateNamespacedJobAsync(LoopbackJobs.ShellJob("task-a", "", job =>
            {
                var container = job.Spec.Template.Spec.Containers[0];
                container.Command = ["/runner/entrypoint.sh"];
                container.Env.Add(new V1EnvVar { Name = "GREETING", Value = "hello from $(WORKSPACE)" });
                container.Env.Add(new V1EnvVar
                {
                    Name = "CATALYST_TASK_TOKEN",
                    ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = "task-env", Key = "CATALYST_TASK_TOKEN" } },
                });
            }), "default");

            var pod = await LoopbackJobs.PodOfAsync(server, "task-a");
            pod.Name().ShouldMatch("^task-a-[a-z0-9]{5}$");
            var job = await client.BatchV1.ReadNamespacedJobAsync("task-a", "default");
            ((string?)pod["metadata"]!["labels"]!["batch.kubernetes.io/job-name"]).ShouldBe("task-a");
            ((string?)pod["metadata"]!["labels"]!["controller-uid"]).ShouldBe(job.Metadata.Uid);
            var owner = pod["metadata"]!["ownerReferences"]![0]!;
            ((string?)owner["uid"]).ShouldBe(job.Metadata.Uid);
            ((bool?)owner["controller"]).ShouldBe(true);

            await LoopbackJobs.PodReachesAsync(server, pod, p => LoopbackJobs.Phase(p) == "Running");
            await using var log = await client.CoreV1.ReadNamespacedPodLogAsync(pod.Name(), "default", container: "runner", follow: true);
            using var reader = new StreamReader(log);
            var first = await LoopbackJobs.ReadLineAsync(reader);
            var started = Regex.Match(first, "^started with tok-123 in (/.+)$");
            started.Success.ShouldBeTrue(first);
            var workspace = started.Groups[1].Value;
            workspace.ShouldNotBe("/workspace");
            (await File.ReadAllTextAsync(Path.Combine(workspace, "greeting.txt"))).Trim().ShouldBe($"hello from {workspace}");
            (await client.CoreV1.ReadNamespacedPodAsync(pod.Name(), "default")).Status.Phase.ShouldBe("Running");

            await File.WriteAllTextAsync(Path.Combine(workspace, "go"), "");
            (await LoopbackJobs.ReadLineAsync(reader)).ShouldBe("finished");
            (await reader.ReadLineAsync()).ShouldBeNull();

            var done = await LoopbackJobs.PodReachesAsync(server, pod, p => LoopbackJobs.Phase(p) == "Succeeded");
            ((int?)LoopbackJobs.Terminated(done!)!["exitCode"]).ShouldBe(0);
            ((string?)LoopbackJobs.Terminated(done!)!["reason"]).ShouldBe("Completed");
            var complete = await server.WaitForAsync(ResourceCatalog.Jobs, "default", "task-a", j => j is not null && LoopbackJobs.HasCondition(j, "Complete"));
            ((int?)complete!["status"]!["succeeded"]).ShouldBe(1);
            ((int?)complete["status"]!["active"]).ShouldBe(0);
        }
        finally
        {
            Directory.Delete(image, recursive: true);
        }
    }

    [Fact]
    public async Task a_failing_container_fails_its_pod_with_the_real_exit_code_and_the_job_with_backoff_limit_exceeded()
    {
        await using var server = await LoopbackApiServer.StartAsync();
        using var client = server.CreateClient();
        await client.BatchV1.CreateNamespacedJobAsync(LoopbackJobs.ShellJob("task-b", "echo failing; exit 3"), "default");
        var pod = await LoopbackJobs.PodOfAsync(server, "task-b");
        var failed = await LoopbackJobs.PodReachesAsync(server, pod, p => LoopbackJobs.Phase(p) == "Failed");
        ((int?)LoopbackJobs.Terminated(failed!)!["exitCode"]).ShouldBe(3);
        ((string?)LoopbackJobs.Terminated(failed!)!["reason"]).ShouldBe("Error");
        var job = await server.WaitForAsync(ResourceCatalog.Jobs, "default", "task-b", j => j is not null && LoopbackJobs.HasCondition(j, "Failed"));
        LoopbackJobs.HasCondition(job!, "Failed", "BackoffLimitExceeded").ShouldBeTrue();
        ((int?)job!["status"]!["failed"]).ShouldBe(1);
        (await client.CoreV1.ReadNamespacedPodLogAsync(pod.Name(), "default")).ShouldNotBeNull();
        using var reader = new StreamReader(await client.CoreV1.ReadNamespacedPodLogAsync(pod.Name(), "default"));
        (await reader.ReadToEndAsync()).ShouldBe("failing\n");
    }

    [Fact]
    public async Task a_job_past_its_active_deadline_fails_with_deadline_exceeded_and_its_process_is_killed()
    {
        await using var server = await LoopbackApiServer.StartAsync();
        using var client = server.CreateClient();
        // "$$$$": Kubernetes turns "$$" into "$" in a command, as the kubelet stand-in does.
        await client.BatchV1.CreateNamespacedJobAsync(LoopbackJobs.ShellJob("task-c", "echo $$$$ > \"$WORKSPACE/pid\"; echo ready; exec sleep 60",
            job => job.Spec.ActiveDeadlineSeconds = 3), "default");
        var pod = await LoopbackJobs.PodOfAsync(server, "task-c");
        await LoopbackJobs.PodReachesAsync(server, pod, p => LoopbackJobs.Phase(p) == "Running");
        using var reader = new StreamReader(await client.CoreV1.ReadNamespacedPodLogAsync(pod.Name(), "default", follow: true));
        (await LoopbackJobs.ReadLineAsync(reader)).ShouldBe("ready");
        var pidFile = Directory.GetFiles(Path.GetDirectoryName(server.KubeconfigPath)!, "pid", SearchOption.AllDirectories).ShouldHaveSingleItem();
        var pid = int.Parse((await File.ReadAllTextAsync(pidFile)).Trim());

        var job = await server.WaitForAsync(ResourceCatalog.Jobs, "default", "task-c", j => j is not null && LoopbackJobs.HasCondition(j, "Failed"), TimeSpan.FromSeconds(10));
        LoopbackJobs.HasCondition(job!, "Failed", "DeadlineExceeded").ShouldBeTrue();
        await server.WaitForAsync(ResourceCatalog.Pods, "default", pod.Name(), p => p is null);
        (await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10))).ShouldBeNull();
        Directory.Exists($"/proc/{pid}").ShouldBeFalse();
    }

    [Fact]
    public async Task a_job_deleted_in_background_takes_its_pods_and_one_deleted_without_a_policy_orphans_them()
    {
        await using var server = await LoopbackApiServer.StartAsync(o => o.RunPods = false);
        using var client = server.CreateClient();
        await client.BatchV1.CreateNamespacedJobAsync(LoopbackJobs.ShellJob("collected", "true"), "default");
        await client.BatchV1.CreateNamespacedJobAsync(LoopbackJobs.ShellJob("orphaning", "true"), "default");
        var collected = await LoopbackJobs.PodOfAsync(server, "collected");
        var orphaned = await LoopbackJobs.PodOfAsync(server, "orphaning");

        await client.BatchV1.DeleteNamespacedJobAsync("collected", "default", propagationPolicy: "Background");
        await server.WaitForAsync(ResourceCatalog.Pods, "default", collected.Name(), p => p is null);

        await client.BatchV1.DeleteNamespacedJobAsync("orphaning", "default");
        await server.WaitForAsync(ResourceCatalog.Jobs, "default", "orphaning", j => j is null);
        var left = await client.CoreV1.ReadNamespacedPodAsync(orphaned.Name(), "default");
        left.Metadata.OwnerReferences.ShouldBeNull();
    }

    [Fact]
    public async Task a_job_deleted_in_foreground_stays_until_its_pods_are_gone()
    {
        await using var server = await LoopbackApiServer.StartAsync(o => o.RunPods = false);
        using var client = server.CreateClient();
        await client.BatchV1.CreateNamespacedJobAsync(LoopbackJobs.ShellJob("fg", "true"), "default");
        var pod = await LoopbackJobs.PodOfAsync(server, "fg");
        await client.CoreV1.PatchNamespacedPodAsync(new V1Patch("""{"metadata":{"finalizers":["catalyst.dev/hold"]}}""", V1Patch.PatchType.MergePatch), pod.Name(), "default");

        await client.BatchV1.DeleteNamespacedJobAsync("fg", "default", propagationPolicy: "Foreground");
        await server.WaitForAsync(ResourceCatalog.Pods, "default", pod.Name(), p => p?["metadata"]?["deletionTimestamp"] is not null);
        (await client.BatchV1.ReadNamespacedJobAsync("fg", "default")).Metadata.DeletionTimestamp.ShouldNotBeNull();

        await client.CoreV1.PatchNamespacedPodAsync(new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch), pod.Name(), "default");
        await server.WaitForAsync(ResourceCatalog.Jobs, "default", "fg", j => j is null);
    }

    [Fact]
    public async Task the_log_of_a_pod_not_started_answers_400_waiting_to_start()
    {
        await using var server = await LoopbackApiServer.StartAsync(o => o.RunPods = false);
        using var client = server.CreateClient();
        await client.BatchV1.CreateNamespacedJobAsync(LoopbackJobs.ShellJob("pending", "true"), "default");
        var pod = await LoopbackJobs.PodOfAsync(server, "pending");
        var refused = await Should.ThrowAsync<HttpOperationException>(() => client.CoreV1.ReadNamespacedPodLogAsync(pod.Name(), "default", container: "runner"));
        refused.StatusCode().ShouldBe(400);
        ((string?)refused.StatusBody()["message"]).ShouldBe($"container \"runner\" in pod \"{pod.Name()}\" is waiting to start: ContainerCreating");
    }

    [Fact]
    public async Task a_finished_job_with_a_ttl_is_deleted_with_its_pods()
    {
        await using var server = await LoopbackApiServer.StartAsync();
        using var client = server.CreateClient();
        await client.BatchV1.CreateNamespacedJobAsync(LoopbackJobs.ShellJob("short", "true", job => job.Spec.TtlSecondsAfterFinished = 0), "default");
        var pod = await LoopbackJobs.PodOfAsync(server, "short");
        await server.WaitForAsync(ResourceCatalog.Jobs, "default", "short", j => j is null);
        await server.WaitForAsync(ResourceCatalog.Pods, "default", pod.Name(), p => p is null);
    }

    [Fact]
    public async Task a_runner_image_without_a_command_runs_the_repositorys_runner_entrypoint_mapped_at_slash_runner()
    {
        var runner = LoopbackCluster.RunnerDirectory();
        // runner/*.sh are not executable in git (the image copies them with 0755), so the stand-in image runs it through bash.
        await using var server = await LoopbackApiServer.StartAsync(o =>
            o.Images.Add(new ImageMount("catalyst/runner:*", runner, "/runner", Entrypoint: ["bash", "/runner/entrypoint.sh"])));
        using var client = server.CreateClient();
        await client.BatchV1.CreateNamespacedJobAsync(LoopbackJobs.ShellJob("runner", "", job =>
        {
            job.Spec.Template.Spec.Containers[0].Command = null;
            job.Spec.Template.Spec.Containers[0].Image = "catalyst/runner:0.1";
        }), "default");
        var pod = await LoopbackJobs.PodOfAsync(server, "runner");
        var failed = await LoopbackJobs.PodReachesAsync(server, pod, p => LoopbackJobs.Phase(p) is "Failed" or "Succeeded");
        ((int?)LoopbackJobs.Terminated(failed!)!["exitCode"]).ShouldBe(1);
        using var reader = new StreamReader(await client.CoreV1.ReadNamespacedPodLogAsync(pod.Name(), "default"));
        var log = await reader.ReadToEndAsync();
        log.ShouldContain($"{runner}/entrypoint.sh");
        log.ShouldContain("CATALYST_TASK_ID is required");
    }

    [Fact]
    public async Task a_deleted_running_pod_gets_sigterm_and_stays_terminating_until_its_container_has_stopped()
    {
        await using var server = await LoopbackApiServer.StartAsync();
        using var client = server.CreateClient();
        await client.BatchV1.CreateNamespacedJobAsync(LoopbackJobs.ShellJob("stoppable",
            "trap 'echo stopping; exit 0' TERM; echo ready; while true; do sleep 0.05; done"), "default");
        var pod = await LoopbackJobs.PodOfAsync(server, "stoppable");
        await LoopbackJobs.PodReachesAsync(server, pod, p => LoopbackJobs.Phase(p) == "Running");
        using var reader = new StreamReader(await client.CoreV1.ReadNamespacedPodLogAsync(pod.Name(), "default", follow: true));
        (await LoopbackJobs.ReadLineAsync(reader)).ShouldBe("ready");

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var seen = new List<(string Type, JsonObject Pod)>();
        var observed = Task.Run(async () =>
        {
            await foreach (var change in server.ObserveAsync(ResourceCatalog.Pods, "default", stop.Token))
            {
                seen.Add((change.Type, change.Object));
                if (change.Type == "DELETED") return;
            }
        });
        var answer = await client.CoreV1.DeleteNamespacedPodAsync(pod.Name(), "default");
        answer.Metadata.DeletionTimestamp.ShouldNotBeNull();
        answer.Metadata.DeletionGracePeriodSeconds.ShouldBe(30);

        (await LoopbackJobs.ReadLineAsync(reader)).ShouldBe("stopping");
        await observed.WaitAsync(stop.Token);
        seen[^1].Type.ShouldBe("DELETED");
        var stopped = seen.Last(e => e.Type == "MODIFIED" && LoopbackJobs.Terminated(e.Pod) is not null).Pod;
        stopped["metadata"]!["deletionTimestamp"].ShouldNotBeNull();
        ((int?)LoopbackJobs.Terminated(stopped)!["exitCode"]).ShouldBe(0);
    }
}
