using System.Diagnostics;
using Catalyst.Contracts;
using Catalyst.KubernetesLoopback;
using Catalyst.Operator.Kubernetes;
using Catalyst.Operator.Kubernetes.Controllers;
using Catalyst.Operator.Kubernetes.Entities;
using k8s;
using static Catalyst.Tests.Kubernetes.OperatorHarness;

namespace Catalyst.Tests.Kubernetes;

/// <summary>
/// The real runner (runner/entrypoint.sh, as the runner image carries it) in a Job's pod on the loopback kubelet, an
/// agent that is a shell command, a local git origin: what the operator publishes, and how each end is told.
/// </summary>
[Trait("Category", "Kubernetes")]
public sealed class workspaces_run_as_jobs_on_the_cluster : IAsyncLifetime
{
    // Not under /tmp: the pod mounts its own /tmp, and the kubelet stand-in maps every path under it into that volume.
    private readonly string _root = Directory.CreateDirectory(Path.Combine("/var/tmp", $"catalyst-k8s-ws-{Guid.NewGuid():N}")).FullName;
    private string Origin => Path.Combine(_root, "origin.git");

    public async ValueTask InitializeAsync()
    {
        await GitAsync(_root, "init", "--quiet", "--bare", "--initial-branch=main", Origin);
        var seed = Path.Combine(_root, "seed");
        await GitAsync(_root, "clone", "--quiet", Origin, seed);
        await File.WriteAllTextAsync(Path.Combine(seed, "README.md"), "hello\n");
        await GitAsync(seed, "add", "README.md");
        await GitAsync(seed, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-m", "first");
        await GitAsync(seed, "push", "--quiet", "origin", "HEAD:main");
    }

    public ValueTask DisposeAsync()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        return ValueTask.CompletedTask;
    }

    private Task<LoopbackApiServer> StartAsync() => StartClusterAsync(o =>
    {
        o.Images.Add(new ImageMount("ghcr.io/catalyst/runner:*", RepositoryFiles.PathOf("runner"), "/usr/local/lib/catalyst-runner"));
        o.WorkRoot = Path.Combine(_root, "cluster");
    });

    private Task<V1Alpha1Environment> CreateAsync(IKubernetes client, string agentScript, Action<V1Alpha1Environment>? change = null) =>
        CreateExampleAsync(client, change: environment =>
        {
            environment.Spec.AgentConfig.Launch.RepositoryUrl = Origin;
            environment.Spec.AgentConfig.Launch.Command = ["bash", "-c", agentScript];
            environment.Spec.AgentConfig.Launch.Hooks = new HooksConfig();
            change?.Invoke(environment);
        });

    private static async Task<WorkspaceExited> ExitedAsync(OperatorReplica replica, TimeSpan? timeout = null) =>
        await EventuallyAsync(() => Task.FromResult(replica.Events.Messages.OfType<WorkspaceExited>().FirstOrDefault()), "WorkspaceExited", timeout ?? TimeSpan.FromSeconds(60));

    [Fact]
    public async Task a_task_completes_its_commits_pushed_and_every_message_published_in_order()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        await using var replica = new OperatorReplica(server, "operator-a");
        await replica.StartAsync();
        var environment = await CreateAsync(client, "for i in 1 2 3; do echo \"line $i\"; done; echo more >> README.md; git commit -qam 'agent change'; echo \"token is $ANTHROPIC_API_KEY\"");

        var exited = await ExitedAsync(replica);
        exited.End.ShouldBe(WorkspaceEnd.Exited, $"{exited.Error}\n{Said(replica)}");
        await Task.Delay(500);
        replica.Events.Messages.OfType<WorkspaceExited>().ShouldHaveSingleItem();
        exited.ExitCode.ShouldBe(0);
        exited.Result.ShouldNotBeNull();
        exited.Result.Pushed.ShouldBeTrue();
        exited.Result.Commits.Single().Message.ShouldBe("agent change");
        (await GitAsync(_root, "--git-dir", Origin, "log", "--format=%s", exited.Result.Branch)).ShouldStartWith("agent change");

        var messages = replica.Events.Messages.ToList();
        messages[0].ShouldBeOfType<WorkspaceProvisioned>();
        messages.Last().ShouldBeOfType<WorkspaceExited>();
        var started = messages.FindIndex(m => m is AgentStarted);
        started.ShouldBeGreaterThan(0);
        var lines = messages.OfType<AgentOutput>().SelectMany(o => o.Lines).Select(l => l.Text).ToList();
        lines.Where(l => l.StartsWith("line ")).ShouldBe(["line 1", "line 2", "line 3"]);
        var token = TaskToken(Guid.Parse(environment.Spec.AgentConfig.TaskId));
        lines.ShouldContain("token is [REDACTED]");
        lines.ShouldAllBe(l => !l.Contains(token));
        messages.Skip(started + 1).OfType<AgentOutput>().SelectMany(o => o.Lines).Select(l => l.Text).ShouldContain("line 1");
        messages.OfType<RevokeTaskToken>().ShouldHaveSingleItem();

        var status = (await Environments.ReadAsync(client, HostNamespace, environment.Metadata.Name, CancellationToken.None))!.Status!;
        status.Phase.ShouldBe(nameof(EnvironmentPhase.Succeeded));
        status.ExitCode.ShouldBe(0);
        status.Result!.Commits.Single().Message.ShouldBe("agent change");
        status.Log!.ExitedSent.ShouldBeTrue();
    }

    [Fact]
    public async Task an_operator_restarted_mid_task_loses_and_repeats_no_line()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        var events = new RecordedWorkspaceEvents();
        var first = new OperatorReplica(server, "operator-a", events: events);
        await first.StartAsync();
        var environment = await CreateAsync(client, "for i in $(seq 1 400); do echo \"line $i\"; sleep 0.005; done; git commit -q --allow-empty -m done");

        await EventuallyAsync(() => Task.FromResult(events.Messages.OfType<AgentOutput>().SelectMany(o => o.Lines).Any(l => l.Text == "line 100")), "line 100");
        await first.DisposeAsync();
        await using var second = new OperatorReplica(server, "operator-b", events: events);
        await second.StartAsync();

        var exited = await ExitedAsync(second);
        exited.End.ShouldBe(WorkspaceEnd.Exited, exited.Error);
        var lines = events.Messages.OfType<AgentOutput>().SelectMany(o => o.Lines).Select(l => l.Text).Where(l => l.StartsWith("line ")).ToList();
        lines.ShouldBe(Enumerable.Range(1, 400).Select(i => $"line {i}"));
        events.Messages.OfType<WorkspaceProvisioned>().ShouldHaveSingleItem();
        events.Messages.OfType<AgentStarted>().ShouldHaveSingleItem();
        events.Messages.OfType<WorkspaceExited>().ShouldHaveSingleItem();
    }

    [Fact]
    public async Task a_cancelled_task_deletes_its_job_and_ends_cancelled()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        await using var replica = new OperatorReplica(server, "operator-a");
        await replica.StartAsync();
        var environment = await CreateAsync(client, "echo waiting; sleep 60");
        await EventuallyAsync(() => Task.FromResult(replica.Events.Messages.OfType<AgentOutput>().SelectMany(o => o.Lines).Any(l => l.Text == "waiting")), "the agent running");

        await Environments.PatchSpecAsync(client, HostNamespace, environment.Metadata.Name,
            new System.Text.Json.Nodes.JsonObject { ["stop"] = new System.Text.Json.Nodes.JsonObject { ["reason"] = "Cancelled by ann.", ["end"] = "Cancelled" } }, CancellationToken.None);

        var exited = await ExitedAsync(replica);
        exited.End.ShouldBe(WorkspaceEnd.Cancelled);
        exited.Error.ShouldBe("Cancelled by ann.");
        (await ReadOrNullAsync(() => client.BatchV1.ReadNamespacedJobAsync(TaskWorkspace.JobName, new TaskWorkspace(environment).Namespace))).ShouldBeNull();
        server.Requests.All.ShouldContain(r => r.Method == "DELETE" && r.Path.EndsWith("/jobs/workspace") && r.Query.Contains("propagationPolicy=Foreground"));
        (await Environments.ReadAsync(client, HostNamespace, environment.Metadata.Name, CancellationToken.None))!.Status!.Phase.ShouldBe(nameof(EnvironmentPhase.Cancelled));
    }

    [Fact]
    public async Task the_deadline_ends_the_task_timed_out_with_its_commits_captured()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        await using var replica = new OperatorReplica(server, "operator-a");
        await replica.StartAsync();
        await CreateAsync(client, "echo more >> README.md; git commit -qam 'before the deadline'; echo committed; sleep 60",
            e => e.Spec.AgentConfig.TimeoutSeconds = 3);

        var exited = await ExitedAsync(replica);
        exited.End.ShouldBe(WorkspaceEnd.TimedOut, exited.Error);
        exited.Error.ShouldBe("The agent did not finish within 3 seconds.");
        exited.Result.ShouldNotBeNull(Said(replica));
        exited.Result.Commits.Select(c => c.Message).ShouldBe(["before the deadline"]);
    }

    [Fact]
    public async Task an_oom_killed_workspace_fails_with_its_memory_limit()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        await using var replica = new OperatorReplica(server, "operator-a");
        await replica.StartAsync();
        server.Faults.NextPodOomKilled(TimeSpan.FromMilliseconds(500));
        await CreateAsync(client, "sleep 30");

        var exited = await ExitedAsync(replica);
        exited.End.ShouldBe(WorkspaceEnd.Failed);
        exited.Error.ShouldBe("Out of memory: the workspace is limited to 2 GiB.");
        exited.ExitCode.ShouldBe(137);
    }

    [Fact]
    public async Task a_workspace_whose_image_cannot_be_pulled_fails_with_the_clusters_reason_in_time()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        await using var replica = new OperatorReplica(server, "operator-a");
        await replica.StartAsync();
        server.Faults.NextPodImagePullBackOff();
        var environment = await CreateAsync(client, "true");

        var started = Stopwatch.StartNew();
        var exited = await ExitedAsync(replica);
        exited.End.ShouldBe(WorkspaceEnd.Failed);
        exited.Error!.ShouldStartWith("The workspace could not start: ImagePullBackOff");
        started.Elapsed.ShouldBeGreaterThanOrEqualTo(FastOptions.StartTimeout - TimeSpan.FromSeconds(1));
        started.Elapsed.ShouldBeLessThan(FastOptions.StartTimeout + TimeSpan.FromSeconds(10));
        (await ReadOrNullAsync(() => client.BatchV1.ReadNamespacedJobAsync(TaskWorkspace.JobName, new TaskWorkspace(environment).Namespace))).ShouldBeNull();
    }

    [Fact]
    public async Task a_workspace_no_node_can_take_fails_with_the_clusters_reason_in_time()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        await using var replica = new OperatorReplica(server, "operator-a");
        await replica.StartAsync();
        server.Faults.NextPodUnschedulable();
        var environment = await CreateAsync(client, "true");

        var started = Stopwatch.StartNew();
        var exited = await ExitedAsync(replica);
        exited.End.ShouldBe(WorkspaceEnd.Failed);
        exited.Error.ShouldBe("The workspace could not start: Unschedulable: 0/1 nodes are available: 1 Insufficient memory. "
            + "preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.");
        started.Elapsed.ShouldBeGreaterThanOrEqualTo(FastOptions.StartTimeout - TimeSpan.FromSeconds(1));
        started.Elapsed.ShouldBeLessThan(FastOptions.StartTimeout + TimeSpan.FromSeconds(10));
        (await ReadOrNullAsync(() => client.BatchV1.ReadNamespacedJobAsync(TaskWorkspace.JobName, new TaskWorkspace(environment).Namespace))).ShouldBeNull();
        var status = (await Environments.ReadAsync(client, HostNamespace, environment.Metadata.Name, CancellationToken.None))!.Status!;
        status.Phase.ShouldBe(nameof(EnvironmentPhase.Failed));
    }

    [Fact]
    public async Task with_a_repository_cache_on_the_node_an_init_container_fetches_it_and_the_runner_clones_from_it()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        var node = Path.Combine(_root, "node-repositories");
        await using var replica = new OperatorReplica(server, "operator-a", FastOptions with { RepositoryCacheHostPath = node });
        await replica.StartAsync();
        // The origin moves before each task: only a fetch in the task's own pod brings the new base.
        async Task<string> MoveOriginAsync(string file)
        {
            var scratch = Path.Combine(_root, $"scratch-{file}");
            await GitAsync(_root, "clone", "--quiet", Origin, scratch);
            await File.WriteAllTextAsync(Path.Combine(scratch, file), file);
            await GitAsync(scratch, "add", file);
            await GitAsync(scratch, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-m", file);
            await GitAsync(scratch, "push", "--quiet", "origin", "HEAD:main");
            return (await GitAsync(scratch, "rev-parse", "HEAD")).Trim();
        }
        var cache = Path.Combine(node, Path.GetFileName(Catalyst.Operator.Workspaces.RepositoryCache.PathFor(WorkspaceChildren.RepositoryCacheMount, Origin)));

        foreach (var file in new[] { "first.txt", "second.txt" })
        {
            var moved = await MoveOriginAsync(file);
            replica.Events.Messages.Clear();
            var environment = await CreateAsync(client, $"cat {file}; echo more >> README.md; git commit -qam 'agent change'",
                e => e.Spec.AgentConfig.Launch.WorkBranch = $"catalyst/cache-{Path.GetFileNameWithoutExtension(file)}");
            var job = await EventuallyAsync(() => ReadOrNullAsync(() => client.BatchV1.ReadNamespacedJobAsync(TaskWorkspace.JobName, new TaskWorkspace(environment).Namespace)), "the Job");
            var exited = await ExitedAsync(replica);
            exited.End.ShouldBe(WorkspaceEnd.Exited, $"{exited.Error}\n{Said(replica)}");
            exited.Result!.Pushed.ShouldBeTrue(Said(replica));
            exited.Result.BaseSha.ShouldBe(moved);
            Said(replica).ShouldContain("from the repository cache");
            Said(replica).ShouldContain($"Stdout: {file}");

            // The init container alone writes the cache; the runner's container (where the agent runs) mounts it read-only.
            var pod = job.Spec.Template.Spec;
            var init = pod.InitContainers.ShouldHaveSingleItem();
            init.Command.ShouldBe(["/bin/bash", WorkspaceChildren.RepositoryCacheScript]);
            init.VolumeMounts.Single(m => m.Name == "repositories").ReadOnlyProperty.ShouldNotBe(true);
            pod.Containers.Single().VolumeMounts.Single(m => m.Name == "repositories").ReadOnlyProperty.ShouldBe(true);
            pod.Volumes.Single(v => v.Name == "repositories").HostPath.Path.ShouldBe(node);
            init.Env.ShouldNotContain(e => e.ValueFrom != null && e.ValueFrom.SecretKeyRef != null && e.ValueFrom.SecretKeyRef.Key == "token");
            // The cache has the origin's branches as the init container fetched them, never this task's own work.
            (await GitAsync(_root, "--git-dir", cache, "rev-parse", "refs/heads/main")).Trim().ShouldBe(moved);
            (await GitAsync(_root, "--git-dir", cache, "for-each-ref", "--format=%(refname)")).ShouldNotContain(exited.Result.Branch);
            (await GitAsync(_root, "--git-dir", cache, "rev-list", "--all")).ShouldNotContain(exited.Result.Commits.Single().Sha);
        }
    }

    private static string Said(OperatorReplica replica) =>
        string.Join("\n", replica.Events.Messages.OfType<AgentOutput>().SelectMany(o => o.Lines).Select(l => $"{l.Stream}: {l.Text}")) + "\n" + replica.Log;

    private static async Task<string> GitAsync(string directory, params string[] args)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        process.ExitCode.ShouldBe(0, errors);
        return output;
    }
}
