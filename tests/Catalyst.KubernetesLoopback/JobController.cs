using System.Globalization;
using System.Text.Json.Nodes;

namespace Catalyst.KubernetesLoopback;

/// <summary>
/// The Job controller: one pod <c>&lt;job&gt;-xxxxx</c> at a time (labels job-name and controller-uid, a controller
/// owner reference), status active/ready/succeeded/failed, Complete or Failed (BackoffLimitExceeded,
/// DeadlineExceeded with the pods killed), and ttlSecondsAfterFinished.
/// </summary>
internal sealed class JobController(ObjectStore store, TimeProvider clock, CancellationToken stop) : ClusterController(store)
{
    private readonly object _reconciling = new();
    private readonly HashSet<string> _timers = [];

    protected override void Handle(WatchEvent change)
    {
        if (change.Resource.Key == ResourceCatalog.Jobs.Key && change.Type != "DELETED")
            Reconcile(change.Namespace!, change.Name);
        else if (change.Resource.Key == ResourceCatalog.Pods.Key
                 && (change.Object["metadata"]!["ownerReferences"] as JsonArray)?.FirstOrDefault(r => (string?)r?["kind"] == "Job" && r?["controller"]?.GetValue<bool>() == true) is { } owner)
            Reconcile(change.Namespace!, (string)owner["name"]!);
    }

    private void Reconcile(string ns, string name)
    {
        lock (_reconciling)
        {
            var job = Store.Get(ResourceCatalog.Jobs, ns, name);
            if (job is null || job["metadata"]!["deletionTimestamp"] is not null) return;
            var uid = (string)job["metadata"]!["uid"]!;
            var spec = job["spec"]!;
            var status = job["status"] as JsonObject ?? new JsonObject();
            var now = clock.GetUtcNow();
            if (Finished(status) is { } finishedAt)
            {
                ScheduleTtl(job, finishedAt);
                return;
            }

            var pods = Store.List(ResourceCatalog.Pods, ns).Items.Where(p => OwnedBy(p, uid)).ToList();
            var running = pods.Where(p => (string?)p["status"]?["phase"] is not ("Succeeded" or "Failed")).ToList();
            var succeeded = pods.Count(p => (string?)p["status"]?["phase"] == "Succeeded");
            var failed = Math.Max(Int(status["failed"]), pods.Count(p => (string?)p["status"]?["phase"] == "Failed"));
            var startTime = (string?)status["startTime"];
            var next = new JsonObject();
            if (startTime is not null) next["startTime"] = startTime;

            var completions = Int(spec["completions"], 1);
            var backoffLimit = Int(spec["backoffLimit"], 6);
            var deadline = spec["activeDeadlineSeconds"] is { } seconds && startTime is not null
                ? DateTimeOffset.Parse(startTime, CultureInfo.InvariantCulture).AddSeconds(Int(seconds))
                : (DateTimeOffset?)null;

            string? failure = null;
            if (succeeded >= completions)
            {
                next["completionTime"] = Timestamp(now);
                next["conditions"] = new JsonArray(
                    Defaults.Condition("SuccessCriteriaMet", "CompletionsReached", "Reached expected number of succeeded pods", time: Timestamp(now)),
                    Defaults.Condition("Complete", "CompletionsReached", "Reached expected number of succeeded pods", time: Timestamp(now)));
            }
            else if (failed > backoffLimit) failure = "BackoffLimitExceeded";
            else if (deadline is { } due && due <= now) failure = "DeadlineExceeded";
            else if (running.Count == 0 && spec["suspend"]?.GetValue<bool>() != true)
            {
                if (CreatePod(job)) running.Add(new JsonObject());
                next["startTime"] ??= Timestamp(now);
            }

            if (failure is not null)
            {
                foreach (var pod in running)
                {
                    try { Store.Delete(ResourceCatalog.Pods, ns, (string)pod["metadata"]!["name"]!, "Background"); }
                    catch (ApiError) { }
                }
                failed += running.Count;
                running.Clear();
                var message = failure == "DeadlineExceeded" ? "Job was active longer than specified deadline" : "Job has reached the specified backoff limit";
                next["conditions"] = new JsonArray(
                    Defaults.Condition("FailureTarget", failure, message, time: Timestamp(now)),
                    Defaults.Condition("Failed", failure, message, time: Timestamp(now)));
            }

            next["active"] = running.Count;
            next["ready"] = running.Count(p => (p["status"]?["conditions"] as JsonArray)?.Any(c => (string?)c?["type"] == "Ready" && (string?)c?["status"] == "True") == true);
            next["terminating"] = 0;
            if (succeeded > 0) next["succeeded"] = succeeded;
            if (failed > 0) next["failed"] = failed;
            next["uncountedTerminatedPods"] = new JsonObject();
            if (next.ToJsonString() != status.ToJsonString())
                Store.Mutate(ResourceCatalog.Jobs, ns, name, j =>
                {
                    j["status"] = next;
                    return true;
                });

            if (failure is null && next["conditions"] is null && spec["activeDeadlineSeconds"] is { } limit && next["startTime"] is { } started)
                At(DateTimeOffset.Parse((string)started!, CultureInfo.InvariantCulture).AddSeconds(Int(limit)), $"deadline {uid}", () => Reconcile(ns, name));
            if (Finished(next) is { } finished) ScheduleTtl(job, finished);
        }
    }

    private bool CreatePod(JsonObject job)
    {
        var template = job["spec"]!["template"]!;
        var jobMetadata = job["metadata"]!;
        var metadata = template["metadata"]?.DeepClone() as JsonObject ?? new JsonObject();
        metadata["name"] = $"{(string)jobMetadata["name"]!}-{ObjectStore.PodSuffix()}";
        metadata.Remove("namespace");
        metadata["ownerReferences"] = new JsonArray(new JsonObject
        {
            ["apiVersion"] = "batch/v1",
            ["kind"] = "Job",
            ["name"] = (string)jobMetadata["name"]!,
            ["uid"] = (string)jobMetadata["uid"]!,
            ["controller"] = true,
            ["blockOwnerDeletion"] = true,
        });
        var pod = new JsonObject { ["metadata"] = metadata, ["spec"] = template["spec"]?.DeepClone() ?? new JsonObject() };
        try
        {
            Store.Create(ResourceCatalog.Pods, (string)jobMetadata["namespace"]!, pod);
            return true;
        }
        catch (ApiError)
        {
            return false;
        }
    }

    private void ScheduleTtl(JsonObject job, DateTimeOffset finishedAt)
    {
        if (job["spec"]?["ttlSecondsAfterFinished"] is not { } ttl) return;
        var ns = (string)job["metadata"]!["namespace"]!;
        var name = (string)job["metadata"]!["name"]!;
        At(finishedAt.AddSeconds(Int(ttl)), $"ttl {job["metadata"]!["uid"]}", () =>
        {
            try { Store.Delete(ResourceCatalog.Jobs, ns, name, "Background"); }
            catch (ApiError) { }
        });
    }

    private void At(DateTimeOffset when, string key, Action action)
    {
        lock (_timers)
            if (!_timers.Add(key)) return;
        var delay = when - clock.GetUtcNow();
        _ = Task.Run(async () =>
        {
            try
            {
                if (delay > TimeSpan.Zero) await Task.Delay(delay, clock, stop);
            }
            catch (OperationCanceledException)
            {
                lock (_timers) _timers.Remove(key);
                return;
            }
            // Free the key before acting: a timer that fired a little early lets the action schedule itself again.
            lock (_timers) _timers.Remove(key);
            try { action(); }
            catch (Exception e) { Console.Error.WriteLine($"loopback job controller: {e}"); }
        }, CancellationToken.None);
    }

    private static DateTimeOffset? Finished(JsonNode status) =>
        (status["conditions"] as JsonArray)?.FirstOrDefault(c => (string?)c?["type"] is "Complete" or "Failed" && (string?)c?["status"] == "True") is { } done
            ? DateTimeOffset.Parse((string)done["lastTransitionTime"]!, CultureInfo.InvariantCulture)
            : null;

    private static bool OwnedBy(JsonObject pod, string uid) =>
        (pod["metadata"]!["ownerReferences"] as JsonArray)?.Any(r => (string?)r?["uid"] == uid) == true;

    internal static int Int(JsonNode? node, int fallback = 0) =>
        node is null ? fallback : int.Parse(node.ToJsonString(), CultureInfo.InvariantCulture);

    internal static string Timestamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
}
