using System.Text.Json.Nodes;

namespace Catalyst.KubernetesLoopback;

/// <summary>
/// The garbage collector and the namespace controller in one loop: dependents of a deleted owner go
/// (Background), an owner waits for its dependents (Foreground, finalizer foregroundDeletion), dependents are
/// freed (Orphan, finalizer orphan), and a Terminating namespace is emptied, then removed.
/// </summary>
internal sealed class GarbageCollector(ObjectStore store) : ClusterController(store)
{
    protected override void Handle(WatchEvent change)
    {
        var metadata = change.Object["metadata"]!;
        var uid = (string)metadata["uid"]!;
        if (change.Type == "DELETED")
        {
            CollectDependentsOf(uid);
            foreach (var owner in metadata["ownerReferences"] as JsonArray ?? [])
                if ((string?)owner?["uid"] is { } ownerUid) SettleOwnersWaitingOn(ownerUid);
            if (change.Namespace is { } ns) SettleNamespace(ns);
            if (change.Resource.Key == ResourceCatalog.CustomResourceDefinitions.Key) RemoveCustomResources(change.Object);
            return;
        }
        if (metadata["deletionTimestamp"] is null) return;
        if (change.Resource.Key == ResourceCatalog.Namespaces.Key)
        {
            SettleNamespace(change.Name);
            return;
        }
        var finalizers = ObjectStore.Finalizers(change.Object);
        if (finalizers.Contains("orphan")) Orphan(change, uid);
        else if (finalizers.Contains("foregroundDeletion")) ForegroundDelete(change, uid);
    }

    private void CollectDependentsOf(string ownerUid)
    {
        foreach (var (type, dependent) in Store.Dependents(ownerUid))
        {
            var owners = (dependent["metadata"]!["ownerReferences"] as JsonArray)!.Select(r => (string)r!["uid"]!).ToList();
            if (owners.All(o => o == ownerUid || !Store.UidExists(o)))
                Try(() => Store.Delete(type, Namespace(dependent), Name(dependent), "Background"));
            else
                Store.Mutate(type, Namespace(dependent), Name(dependent), o => RemoveOwnerReference(o, ownerUid));
        }
    }

    private void ForegroundDelete(WatchEvent owner, string uid)
    {
        var dependents = Store.Dependents(uid);
        foreach (var (type, dependent) in dependents)
            if (dependent["metadata"]!["deletionTimestamp"] is null)
                Try(() => Store.Delete(type, Namespace(dependent), Name(dependent), "Foreground"));
        if (dependents.Count == 0)
            Store.Mutate(owner.Resource, owner.Namespace, owner.Name, o => RemoveFinalizer(o, "foregroundDeletion"));
    }

    private void SettleOwnersWaitingOn(string ownerUid)
    {
        if (Store.FindByUid(ownerUid) is not var (type, owner)) return;
        if (ObjectStore.Finalizers(owner).Contains("foregroundDeletion") && Store.Dependents(ownerUid).Count == 0)
            Store.Mutate(type, Namespace(owner), Name(owner), o => RemoveFinalizer(o, "foregroundDeletion"));
    }

    private void Orphan(WatchEvent owner, string uid)
    {
        foreach (var (type, dependent) in Store.Dependents(uid))
            Store.Mutate(type, Namespace(dependent), Name(dependent), o => RemoveOwnerReference(o, uid));
        Store.Mutate(owner.Resource, owner.Namespace, owner.Name, o => RemoveFinalizer(o, "orphan"));
    }

    private void SettleNamespace(string ns)
    {
        var nsObject = Store.Get(ResourceCatalog.Namespaces, null, ns);
        if (nsObject?["metadata"]?["deletionTimestamp"] is null) return;
        var content = Store.InNamespace(ns);
        foreach (var (type, obj) in content)
            if (obj["metadata"]!["deletionTimestamp"] is null)
                Try(() => Store.Delete(type, ns, Name(obj), "Background"));
        var remaining = Store.InNamespace(ns);
        if (remaining.Count == 0)
        {
            Store.Remove(ResourceCatalog.Namespaces, null, ns);
            return;
        }
        var withFinalizers = remaining.Where(r => ObjectStore.Finalizers(r.Object).Count > 0).ToList();
        if (withFinalizers.Count == 0) return;
        var message = "Some content in the namespace has finalizers remaining: " +
                      string.Join(", ", withFinalizers.SelectMany(r => ObjectStore.Finalizers(r.Object)).Distinct().Order().Select(f => $"{f} in {withFinalizers.Count} resource instances"));
        Store.Mutate(ResourceCatalog.Namespaces, null, ns, o =>
        {
            var conditions = o["status"]!["conditions"] as JsonArray;
            if (conditions?.Any(c => (string?)c?["type"] == "NamespaceFinalizersRemaining" && (string?)c?["message"] == message) == true) return false;
            o["status"]!["conditions"] = new JsonArray(Defaults.Condition("NamespaceFinalizersRemaining", "SomeFinalizersRemain", message));
            return true;
        });
    }

    private void RemoveCustomResources(JsonObject crd)
    {
        var group = (string?)crd["spec"]?["group"];
        var plural = (string?)crd["spec"]?["names"]?["plural"];
        if (group is null || plural is null) return;
        var type = Store.Catalog.All.FirstOrDefault(t => t.IsCustom && t.Group == group && t.Plural == plural);
        if (type is null) return;
        foreach (var obj in Store.List(type, null).Items) Store.Remove(type, Namespace(obj), Name(obj));
        Store.Catalog.Remove(group, plural);
    }

    private static bool RemoveOwnerReference(JsonObject obj, string ownerUid)
    {
        if (obj["metadata"]!["ownerReferences"] is not JsonArray refs) return false;
        var kept = refs.Where(r => (string?)r?["uid"] != ownerUid).Select(r => r!.DeepClone()).ToArray();
        if (kept.Length == refs.Count) return false;
        if (kept.Length == 0) obj["metadata"]!.AsObject().Remove("ownerReferences");
        else obj["metadata"]!["ownerReferences"] = new JsonArray(kept);
        return true;
    }

    internal static bool RemoveFinalizer(JsonObject obj, string finalizer)
    {
        if (obj["metadata"]!["finalizers"] is not JsonArray list) return false;
        var kept = list.Where(f => (string?)f != finalizer).Select(f => f!.DeepClone()).ToArray();
        if (kept.Length == list.Count) return false;
        if (kept.Length == 0) obj["metadata"]!.AsObject().Remove("finalizers");
        else obj["metadata"]!["finalizers"] = new JsonArray(kept);
        return true;
    }
}

/// <summary>A controller of the loopback cluster: it reads every change of the store, in order, on its own loop.</summary>
internal abstract class ClusterController(ObjectStore store)
{
    protected ObjectStore Store { get; } = store;

    protected static string Name(JsonObject obj) => (string)obj["metadata"]!["name"]!;
    protected static string? Namespace(JsonObject obj) => (string?)obj["metadata"]!["namespace"];

    protected virtual ResourceType? Watches => null;

    public Task RunAsync(CancellationToken stop)
    {
        var (subscription, first, _) = Store.Watch(Watches, null, null, null, "0", external: false);
        return Task.Run(async () =>
        {
            try
            {
                foreach (var change in first) Guard(change);
                await foreach (var change in subscription!.Events.Reader.ReadAllAsync(stop)) Guard(change);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
            finally { Store.Unsubscribe(subscription!); }
        }, CancellationToken.None);
    }

    private void Guard(WatchEvent change)
    {
        try { Handle(change); }
        catch (ApiError) { }
        catch (Exception e) { Console.Error.WriteLine($"loopback {GetType().Name}: {e}"); }
    }

    protected abstract void Handle(WatchEvent change);

    protected static void Try(Action action)
    {
        try { action(); }
        catch (ApiError) { }
    }
}
