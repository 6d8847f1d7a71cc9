using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Catalyst.KubernetesLoopback;

/// <summary>
/// The one node of the loopback cluster: runs each pod's init containers, then its first container, as local processes
/// each in its own process group, moves the pod Pending → Running → Succeeded/Failed with the real exit code, keeps its log for
/// <c>pods/{name}/log</c>, kills the group when the pod is deleted, and fails pods the ways clusters do on demand.
/// </summary>
internal sealed class Kubelet(ObjectStore store, LoopbackFaults faults, LoopbackOptions options, string root) : ClusterController(store)
{
    public const string NodeName = "loopback-node";
    private readonly ConcurrentDictionary<string, PodRun> _runs = new();

    protected override ResourceType? Watches => ResourceCatalog.Pods;

    private sealed class PodRun(string uid)
    {
        public string Uid { get; } = uid;
        public PodLog Log { get; } = new();
        public Process? Process { get; set; }
        public volatile bool OomKilled;
        public volatile bool Deleted;
        public int GracePeriodSeconds { get; set; } = 30;
    }

    protected override void Handle(WatchEvent change)
    {
        var uid = (string)change.Object["metadata"]!["uid"]!;
        if (change.Type == "DELETED" || change.Object["metadata"]!["deletionTimestamp"] is not null)
        {
            if (_runs.TryGetValue(uid, out var run)) Stop(run, force: change.Type == "DELETED");
            return;
        }
        if (change.Type != "ADDED" || (string?)change.Object["status"]?["phase"] is "Succeeded" or "Failed") return;
        var started = new PodRun(uid) { GracePeriodSeconds = JobController.Int(change.Object["spec"]?["terminationGracePeriodSeconds"], 30) };
        if (!_runs.TryAdd(uid, started)) return;
        // A pod made while the server goes away (a Job replacing the pod just deleted) is killed as soon as it starts:
        // checked after it is listed, so either this sees the flag or KillAll sees the pod.
        if (_stopped) started.Deleted = true;
        _ = Task.Run(() => RunPodAsync(change.Object, started));
    }

    private async Task RunPodAsync(JsonObject pod, PodRun run)
    {
        var ns = (string)pod["metadata"]!["namespace"]!;
        var name = (string)pod["metadata"]!["name"]!;
        var container = pod["spec"]?["containers"]?[0];
        var containerName = (string?)container?["name"] ?? "main";
        var image = (string?)container?["image"] ?? "";
        var now = Now();
        try
        {
            var fault = faults.TakePodFault();
            if (fault?.Kind == PodFaultKind.Unschedulable)
            {
                SetStatus(ns, name, s => s["conditions"] = new JsonArray(Defaults.Condition("PodScheduled", "Unschedulable",
                    "0/1 nodes are available: 1 Insufficient memory. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.", "False", now)));
                return;
            }

            Store.Mutate(ResourceCatalog.Pods, ns, name, p =>
            {
                p["spec"]!["nodeName"] = NodeName;
                p["status"] = new JsonObject
                {
                    ["phase"] = "Pending",
                    ["conditions"] = Conditions(now, ready: false, scheduled: true),
                    ["hostIP"] = "127.0.0.1",
                    ["podIP"] = "127.0.0.1",
                    ["startTime"] = now,
                    ["qosClass"] = "BestEffort",
                    ["containerStatuses"] = new JsonArray(ContainerStatus(containerName, image, new JsonObject { ["waiting"] = new JsonObject { ["reason"] = "ContainerCreating" } }, ready: false)),
                };
                return true;
            });

            if (fault?.Kind == PodFaultKind.ImagePullBackOff)
            {
                SetContainerState(ns, name, containerName, image, "Pending", new JsonObject
                {
                    ["waiting"] = new JsonObject { ["reason"] = "ImagePullBackOff", ["message"] = $"Back-off pulling image \"{image}\"" },
                }, ready: false);
                return;
            }

            var podRoot = Directory.CreateDirectory(Path.Combine(root, $"{ns}_{name}_{run.Uid[..8]}")).FullName;
            if (!await RunInitContainersAsync(ns, name, pod, podRoot, run)) return;
            var (launch, reason, message) = ContainerLaunch.Prepare(Store, options, pod, podRoot);
            if (launch is null)
            {
                SetContainerState(ns, name, containerName, image, "Pending", new JsonObject
                {
                    ["waiting"] = new JsonObject { ["reason"] = reason, ["message"] = message },
                }, ready: false);
                return;
            }
            await RunContainerAsync(ns, name, containerName, image, launch, run, fault);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Console.Error.WriteLine($"loopback kubelet, pod {ns}/{name}: {e}");
        }
        finally
        {
            run.Log.End();
        }
    }

    /// <summary>
    /// The pod's init containers, one after the other, each to its end, before its container: one that fails fails the
    /// pod (its restartPolicy is Never here), as a kubelet does. Their output is kept apart from the container's log.
    /// </summary>
    private async Task<bool> RunInitContainersAsync(string ns, string name, JsonObject pod, string podRoot, PodRun run)
    {
        var statuses = new JsonArray();
        foreach (var init in pod["spec"]?["initContainers"] as JsonArray ?? [])
        {
            var initName = (string?)init!["name"] ?? "init";
            var image = (string?)init["image"] ?? "";
            var (launch, reason, message) = ContainerLaunch.Prepare(Store, options, pod, podRoot, init);
            if (launch is null)
            {
                SetStatus(ns, name, s => s["initContainerStatuses"] = new JsonArray(ContainerStatus(initName, image,
                    new JsonObject { ["waiting"] = new JsonObject { ["reason"] = reason, ["message"] = message } }, ready: false)));
                return false;
            }
            var startedAt = Now();
            using var process = Process.Start(launch.StartInfo())!;
            run.Process = process;
            process.StandardInput.Close();
            if (run.Deleted) Kill(process, 9);
            var output = new PodLog();
            var pumps = Task.WhenAll(PumpAsync(process.StandardOutput, output), PumpAsync(process.StandardError, output));
            await process.WaitForExitAsync();
            Kill(process, 9);
            await pumps;
            run.Process = null;
            var terminated = new JsonObject
            {
                ["exitCode"] = process.ExitCode, ["reason"] = process.ExitCode == 0 ? "Completed" : "Error",
                ["startedAt"] = startedAt, ["finishedAt"] = Now(), ["containerID"] = $"loopback://{name}-{initName}",
            };
            statuses.Add(ContainerStatus(initName, image, new JsonObject { ["terminated"] = terminated }, ready: process.ExitCode == 0));
            var shown = statuses.DeepClone();
            SetStatus(ns, name, s => s["initContainerStatuses"] = shown);
            if (process.ExitCode != 0 || run.Deleted)
            {
                SetStatus(ns, name, s => s["phase"] = "Failed");
                if (run.Deleted) Store.ConfirmPodStopped(ns, name);
                return false;
            }
        }
        return true;
    }

    private async Task RunContainerAsync(string ns, string name, string containerName, string image, ContainerLaunch launch, PodRun run, PodFault? fault)
    {
        var start = launch.StartInfo();
        var startedAt = Now();
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception e)
        {
            Terminated(ns, name, containerName, image, 128, "StartError", startedAt, e.Message);
            return;
        }
        run.Process = process;
        process.StandardInput.Close();
        if (run.Deleted) Kill(process, 9);
        SetContainerState(ns, name, containerName, image, "Running", new JsonObject { ["running"] = new JsonObject { ["startedAt"] = startedAt } }, ready: true);

        var stdout = PumpAsync(process.StandardOutput, run.Log);
        var stderr = PumpAsync(process.StandardError, run.Log);
        if (fault?.Kind == PodFaultKind.OomKilled)
            _ = Task.Run(async () =>
            {
                await Task.Delay(fault.After);
                run.OomKilled = true;
                Kill(process, 9);
            });

        await process.WaitForExitAsync();
        Kill(process, 9);
        await Task.WhenAll(stdout, stderr);
        var exitCode = run.OomKilled ? 137 : process.ExitCode;
        var reason = run.OomKilled ? "OOMKilled" : exitCode == 0 ? "Completed" : "Error";
        Terminated(ns, name, containerName, image, exitCode, reason, startedAt, null);
        if (run.Deleted) Store.ConfirmPodStopped(ns, name);
    }

    /// <summary>The grace period a deleted pod gets while its container is stopped; null when no container of it runs.</summary>
    public int? GracePeriodFor(JsonObject pod) =>
        _runs.TryGetValue((string)pod["metadata"]!["uid"]!, out var run) && run.Process is { } process && !process.HasExited
            ? run.GracePeriodSeconds
            : null;

    private static async Task PumpAsync(StreamReader reader, PodLog log)
    {
        while (await reader.ReadLineAsync() is { } line) log.Append(line);
    }

    private void Terminated(string ns, string name, string containerName, string image, int exitCode, string reason, string startedAt, string? message)
    {
        var terminated = new JsonObject
        {
            ["exitCode"] = exitCode,
            ["reason"] = reason,
            ["startedAt"] = startedAt,
            ["finishedAt"] = Now(),
            ["containerID"] = $"loopback://{name}",
        };
        if (message is not null) terminated["message"] = message;
        SetContainerState(ns, name, containerName, image, exitCode == 0 ? "Succeeded" : "Failed", new JsonObject { ["terminated"] = terminated }, ready: false);
    }

    private void SetContainerState(string ns, string name, string containerName, string image, string phase, JsonObject state, bool ready) =>
        SetStatus(ns, name, s =>
        {
            s["phase"] = phase;
            s["conditions"] = Conditions(Now(), ready, scheduled: true, completed: phase is "Succeeded" or "Failed");
            s["containerStatuses"] = new JsonArray(ContainerStatus(containerName, image, state, ready));
        });

    private void SetStatus(string ns, string name, Action<JsonObject> change) =>
        Store.Mutate(ResourceCatalog.Pods, ns, name, p =>
        {
            if (p["status"] is not JsonObject status) p["status"] = status = new JsonObject();
            change(status);
            return true;
        });

    private static JsonObject ContainerStatus(string name, string image, JsonObject state, bool ready)
    {
        var status = new JsonObject
        {
            ["name"] = name,
            ["image"] = image,
            ["imageID"] = "",
            ["ready"] = ready,
            ["restartCount"] = 0,
            ["started"] = state.ContainsKey("running"),
            ["state"] = state,
        };
        if (state["running"] is not null || state["terminated"] is not null) status["containerID"] = $"loopback://{name}";
        return status;
    }

    private static JsonArray Conditions(string now, bool ready, bool scheduled, bool completed = false)
    {
        var readyReason = completed ? "PodCompleted" : ready ? "" : "ContainersNotReady";
        JsonObject Make(string type, bool status, string reason) => new()
        {
            ["type"] = type, ["status"] = status ? "True" : "False", ["lastTransitionTime"] = now,
            ["reason"] = reason.Length == 0 ? null : reason,
        };
        return new JsonArray(
            Make("PodReadyToStartContainers", true, ""),
            Make("Initialized", true, completed ? "PodCompleted" : ""),
            Make("Ready", ready, readyReason),
            Make("ContainersReady", ready, readyReason),
            Make("PodScheduled", scheduled, ""));
    }

    private void Stop(PodRun run, bool force)
    {
        if (run.Deleted && !force) return;
        run.Deleted = true;
        if (run.Process is not { } process) return;
        // As a container runtime does: SIGTERM to the container's first process only, SIGKILL to all of it after the grace period.
        if (force) Kill(process, 9);
        else Signal(process, 15);
        _ = Task.Run(async () =>
        {
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(run.GracePeriodSeconds));
            try { await process.WaitForExitAsync(grace.Token); }
            catch (OperationCanceledException) { Kill(process, 9); }
        });
    }

    private volatile bool _stopped;

    /// <summary>Kills every container process now (the server is going away), and every one started after.</summary>
    public void KillAll()
    {
        _stopped = true;
        foreach (var run in _runs.Values)
        {
            run.Deleted = true;
            if (run.Process is { } process) Kill(process, 9);
        }
    }

    private static void Signal(Process process, int signal)
    {
        try
        {
            if (!process.HasExited) _ = kill(process.Id, signal);
        }
        catch (InvalidOperationException) { }
    }

    private static void Kill(Process process, int signal)
    {
        try
        {
            if (!process.HasExited || signal == 9) _ = kill(-process.Id, signal);
            // The process itself too: just started, it may not have made its process group yet (setsid runs in it after
            // the start returns), and the group's kill then reaches nothing while the container goes on for good.
            if (!process.HasExited) _ = kill(process.Id, signal);
        }
        catch (InvalidOperationException) { }
    }

    [DllImport("libc", SetLastError = true)]
#pragma warning disable SYSLIB1054 // A plain DllImport: the signature is blittable and the project needs no unsafe code.
    private static extern int kill(int pid, int signal);
#pragma warning restore SYSLIB1054

    private static string Now() => DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    public async Task ServeLogAsync(HttpContext context, string ns, string name)
    {
        var pod = Store.GetOrThrow(ResourceCatalog.Pods, ns, name);
        var query = context.Request.Query;
        var containerName = (string?)pod["spec"]?["containers"]?[0]?["name"] ?? "";
        if (query["container"] is { Count: > 0 } asked && asked.ToString() != containerName)
            throw ApiError.BadRequest($"container {asked} is not valid for pod {name}");
        if (!_runs.TryGetValue((string)pod["metadata"]!["uid"]!, out var run) || run.Process is null)
        {
            var waiting = (string?)pod["status"]?["containerStatuses"]?[0]?["state"]?["waiting"]?["reason"] ?? "ContainerCreating";
            var why = waiting is "ImagePullBackOff" or "ErrImagePull" ? "trying and failing to pull image" : waiting;
            throw ApiError.BadRequest($"container \"{containerName}\" in pod \"{name}\" is waiting to start: {why}");
        }

        var follow = query["follow"].ToString() is "true" or "1";
        var timestamps = query["timestamps"].ToString() is "true" or "1";
        DateTimeOffset? since = query["sinceTime"] is { Count: > 0 } sinceTime ? DateTimeOffset.Parse(sinceTime.ToString(), CultureInfo.InvariantCulture) : null;
        if (int.TryParse(query["sinceSeconds"], out var sinceSeconds)) since = DateTimeOffset.UtcNow.AddSeconds(-sinceSeconds);
        int? tail = int.TryParse(query["tailLines"], out var tailLines) ? tailLines : null;

        var response = context.Response;
        response.StatusCode = 200;
        response.ContentType = "text/plain";
        ((Action<int>)context.Items["log"]!)(200);
        await response.StartAsync(context.RequestAborted);
        await response.Body.FlushAsync(context.RequestAborted);

        var position = 0;
        var first = true;
        while (true)
        {
            var (lines, ended, changed) = run.Log.Read(position);
            position += lines.Count;
            IEnumerable<(DateTimeOffset Time, string Text)> selected = lines;
            if (since is { } from) selected = selected.Where(l => l.Time >= from);
            if (first && tail is { } n) selected = selected.TakeLast(n);
            first = false;
            var text = new StringBuilder();
            foreach (var (time, line) in selected)
            {
                if (timestamps) text.Append(time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffff", CultureInfo.InvariantCulture)).Append("00Z ");
                text.Append(line).Append('\n');
            }
            if (text.Length > 0)
            {
                await response.Body.WriteAsync(Encoding.UTF8.GetBytes(text.ToString()), context.RequestAborted);
                await response.Body.FlushAsync(context.RequestAborted);
            }
            if (!follow || (ended && lines.Count == 0)) return;
            if (!ended) await changed.WaitAsync(context.RequestAborted);
        }
    }
}
