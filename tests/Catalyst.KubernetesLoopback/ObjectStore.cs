using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Catalyst.KubernetesLoopback;

/// <summary>One change the store made, as a watch sees it.</summary>
public sealed record WatchEvent(string Type, ResourceType Resource, JsonObject Object, long ResourceVersion)
{
    public string? Namespace => (string?)Object["metadata"]?["namespace"];
    public string Name => (string)Object["metadata"]!["name"]!;
}

/// <summary>Who is listening for changes: a watch request, or one of the server's own controllers.</summary>
internal sealed class Subscription(ResourceType? resource, string? ns, LabelSelector? labels, FieldSelector? fields, bool external)
{
    public Channel<WatchEvent> Events { get; } = Channel.CreateUnbounded<WatchEvent>(new() { SingleReader = true });
    public CancellationTokenSource Dropped { get; } = new();
    public bool External { get; } = external;

    public bool Matches(WatchEvent e) =>
        (resource is null || resource.Key == e.Resource.Key)
        && (ns is null || e.Namespace == ns)
        && Selected(e.Object);

    private bool Selected(JsonObject obj) => (labels is null || labels.Matches(obj)) && (fields is null || fields.Matches(obj));

    /// <summary>
    /// The event as this watch sees it: a change that takes an object out of the selectors is DELETED,
    /// one that brings it in is ADDED, as kube-apiserver's watch cache answers.
    /// </summary>
    public WatchEvent? Translate(WatchEvent e, JsonObject? previous)
    {
        if ((resource is not null && resource.Key != e.Resource.Key) || (ns is not null && e.Namespace != ns)) return null;
        var now = Selected(e.Object);
        if (e.Type != "MODIFIED" || previous is null || (labels is null && fields is null)) return now ? e : null;
        var before = Selected(previous);
        return (before, now) switch
        {
            (true, true) => e,
            (false, true) => e with { Type = "ADDED" },
            (true, false) => e with { Type = "DELETED" },
            _ => null,
        };
    }
}

/// <summary>
/// Every object of the cluster, as JSON, behind one lock: one increasing resourceVersion for the whole store,
/// a bounded history of events for watches that resume, and the rules kube-apiserver applies on each write.
/// </summary>
public sealed class ObjectStore
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Dictionary<string, JsonObject>> _objects = new();
    private readonly LinkedList<WatchEvent> _history = new();
    private readonly List<Subscription> _subscriptions = [];
    private readonly int _historyLimit;
    private readonly TimeProvider _clock;
    private long _resourceVersion;
    private long _forgottenUpTo;

    internal ObjectStore(ResourceCatalog catalog, int historyLimit, TimeProvider clock)
    {
        Catalog = catalog;
        _historyLimit = historyLimit;
        _clock = clock;
    }

    public ResourceCatalog Catalog { get; }

    public long ResourceVersion { get { lock (_gate) return _resourceVersion; } }

    /// <summary>The oldest resourceVersion a watch can still resume from.</summary>
    public long OldestResumableVersion { get { lock (_gate) return _forgottenUpTo; } }

    internal string Now() => _clock.GetUtcNow().UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    private static string Key(string? ns, string name) => $"{ns}/{name}";

    private Dictionary<string, JsonObject> Bucket(ResourceType type)
    {
        if (!_objects.TryGetValue(type.Key, out var bucket)) _objects[type.Key] = bucket = new();
        return bucket;
    }

    public JsonObject? Get(ResourceType type, string? ns, string name)
    {
        lock (_gate) return Bucket(type).TryGetValue(Key(ns, name), out var obj) ? (JsonObject)obj.DeepClone() : null;
    }

    public JsonObject GetOrThrow(ResourceType type, string? ns, string name) => Get(type, ns, name) ?? throw ApiError.NotFound(type, name);

    public (IReadOnlyList<JsonObject> Items, long ResourceVersion) List(ResourceType type, string? ns, LabelSelector? labels = null, FieldSelector? fields = null)
    {
        lock (_gate)
        {
            var items = Bucket(type).Values
                .Where(o => ns is null || (string?)o["metadata"]?["namespace"] == ns)
                .Where(o => labels is null || labels.Matches(o))
                .Where(o => fields is null || fields.Matches(o))
                .OrderBy(o => (string?)o["metadata"]?["namespace"], StringComparer.Ordinal)
                .ThenBy(o => (string)o["metadata"]!["name"]!, StringComparer.Ordinal)
                .Select(o => (JsonObject)o.DeepClone())
                .ToList();
            return (items, _resourceVersion);
        }
    }

    /// <summary>Every object in a namespace, of every kind.</summary>
    public IReadOnlyList<(ResourceType Type, JsonObject Object)> InNamespace(string ns)
    {
        lock (_gate)
            return _objects.SelectMany(b => b.Value.Values
                    .Where(o => (string?)o["metadata"]?["namespace"] == ns)
                    .Select(o => (TypeOf(o), (JsonObject)o.DeepClone())))
                .Where(p => p.Item1 is not null)
                .Select(p => (p.Item1!, p.Item2))
                .ToList();
    }

    /// <summary>Every object that names <paramref name="ownerUid"/> among its owner references.</summary>
    public IReadOnlyList<(ResourceType Type, JsonObject Object)> Dependents(string ownerUid)
    {
        lock (_gate)
            return _objects.SelectMany(b => b.Value.Values)
                .Where(o => o["metadata"]?["ownerReferences"] is JsonArray refs && refs.Any(r => (string?)r?["uid"] == ownerUid))
                .Select(o => (TypeOf(o), (JsonObject)o.DeepClone()))
                .Where(p => p.Item1 is not null)
                .Select(p => (p.Item1!, p.Item2))
                .ToList();
    }

    public (ResourceType Type, JsonObject Object)? FindByUid(string uid)
    {
        lock (_gate)
        {
            foreach (var obj in _objects.Values.SelectMany(b => b.Values))
                if ((string?)obj["metadata"]?["uid"] == uid && TypeOf(obj) is { } type) return (type, (JsonObject)obj.DeepClone());
            return null;
        }
    }

    public bool UidExists(string uid)
    {
        lock (_gate) return _objects.Values.Any(b => b.Values.Any(o => (string?)o["metadata"]?["uid"] == uid));
    }

    private ResourceType? TypeOf(JsonObject obj)
    {
        var apiVersion = (string?)obj["apiVersion"];
        var kind = (string?)obj["kind"];
        return apiVersion is null || kind is null ? null : Catalog.FindByKind(apiVersion, kind);
    }

    public JsonObject Create(ResourceType type, string? ns, JsonObject body)
    {
        var obj = (JsonObject)body.DeepClone();
        var metadata = obj["metadata"] as JsonObject ?? new JsonObject();
        obj["metadata"] = metadata;
        obj["apiVersion"] = type.ApiVersion;
        obj["kind"] = type.Kind;
        var name = (string?)metadata["name"];
        if (string.IsNullOrEmpty(name))
        {
            var generateName = (string?)metadata["generateName"];
            if (string.IsNullOrEmpty(generateName))
                throw ApiError.Invalid(type, "", "metadata.name", "Required value: name or generateName is required");
            name = generateName + RandomSuffix();
            metadata["name"] = name;
        }
        if (type.Namespaced)
        {
            var bodyNs = (string?)metadata["namespace"];
            if (bodyNs is not null && bodyNs != ns)
                throw ApiError.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
            metadata["namespace"] = ns;
        }
        else metadata.Remove("namespace");

        lock (_gate)
        {
            if (type.Namespaced)
            {
                if (!Bucket(ResourceCatalog.Namespaces).TryGetValue(Key(null, ns!), out var nsObject))
                    throw ApiError.NotFound(ResourceCatalog.Namespaces, ns!);
                if ((string?)nsObject["status"]?["phase"] == "Terminating")
                    throw ApiError.NamespaceTerminating(type, name, ns!);
            }
            var bucket = Bucket(type);
            if (bucket.ContainsKey(Key(ns, name))) throw ApiError.AlreadyExists(type, name);

            metadata["uid"] = Guid.NewGuid().ToString();
            metadata["creationTimestamp"] = Now();
            metadata["generation"] = 1L;
            metadata.Remove("deletionTimestamp");
            metadata.Remove("deletionGracePeriodSeconds");
            metadata.Remove("resourceVersion");
            if (type.HasStatus) obj.Remove("status");
            Defaults.OnCreate(type, obj);
            Defaults.OnWrite(type, obj);
            if (type.Key == ResourceCatalog.CustomResourceDefinitions.Key)
                Catalog.Register(obj);
            return Commit(type, obj, "ADDED");
        }
    }

    /// <summary>A PUT: of the object (status kept) or of its status subresource (only status taken).</summary>
    public JsonObject Replace(ResourceType type, string? ns, string name, JsonObject body, bool status)
    {
        var urlName = name;
        var bodyName = (string?)body["metadata"]?["name"];
        if (bodyName is not null && bodyName != urlName)
            throw ApiError.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({urlName})");
        lock (_gate)
        {
            var current = Bucket(type).TryGetValue(Key(ns, name), out var found) ? found : throw ApiError.NotFound(type, name);
            var sentVersion = (string?)body["metadata"]?["resourceVersion"];
            if (string.IsNullOrEmpty(sentVersion))
            {
                if (type.RequiresResourceVersionOnUpdate)
                    throw ApiError.Invalid(type, name, "metadata.resourceVersion", "Invalid value: 0x0: must be specified for an update");
            }
            else if (sentVersion != (string?)current["metadata"]!["resourceVersion"])
                throw ApiError.Conflict(type, name);

            JsonObject next;
            if (status)
            {
                next = (JsonObject)current.DeepClone();
                next["status"] = body["status"]?.DeepClone();
            }
            else
            {
                next = (JsonObject)body.DeepClone();
                next["apiVersion"] = type.ApiVersion;
                next["kind"] = type.Kind;
                var metadata = next["metadata"] as JsonObject ?? new JsonObject();
                next["metadata"] = metadata;
                var old = current["metadata"]!;
                foreach (var kept in new[] { "name", "namespace", "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation" })
                {
                    if (old[kept] is { } value) metadata[kept] = value.DeepClone();
                    else metadata.Remove(kept);
                }
                if (old["deletionTimestamp"] is not null)
                {
                    var before = Finalizers(current);
                    if (Finalizers(next).Any(f => !before.Contains(f)))
                        throw ApiError.Invalid(type, name, "metadata.finalizers", "Forbidden: no new finalizers can be added if the object is being deleted");
                }
                if (type.HasStatus)
                {
                    if (current["status"] is { } oldStatus) next["status"] = oldStatus.DeepClone();
                    else next.Remove("status");
                }
                Defaults.OnWrite(type, next);
                if (SpecOf(next) != SpecOf(current))
                    metadata["generation"] = Generation(current) + 1;
            }
            return CommitUpdate(type, next);
        }
    }

    /// <summary>A PATCH: the patch applied to the object as it stands, then the rules of a PUT.</summary>
    public JsonObject Patch(ResourceType type, string? ns, string name, Func<JsonObject, JsonObject> apply, bool status)
    {
        lock (_gate)
        {
            var current = GetOrThrow(type, ns, name);
            return Replace(type, ns, name, apply(current), status);
        }
    }

    /// <summary>Queues a BOOKMARK for a watch, in order with its events, carrying the store's resourceVersion now.</summary>
    internal void Bookmark(Subscription subscription, ResourceType type)
    {
        lock (_gate)
        {
            var marker = new JsonObject
            {
                ["kind"] = type.Kind,
                ["apiVersion"] = type.ApiVersion,
                ["metadata"] = new JsonObject { ["resourceVersion"] = _resourceVersion.ToString(CultureInfo.InvariantCulture) },
            };
            subscription.Events.Writer.TryWrite(new WatchEvent("BOOKMARK", type, marker, _resourceVersion));
        }
    }

    /// <summary>Changes an object in place on behalf of a controller: no resourceVersion check, status included.</summary>
    public JsonObject? Mutate(ResourceType type, string? ns, string name, Func<JsonObject, bool> change)
    {
        lock (_gate)
        {
            if (!Bucket(type).TryGetValue(Key(ns, name), out var current)) return null;
            var next = (JsonObject)current.DeepClone();
            if (!change(next)) return next;
            if (SpecOf(next) != SpecOf(current))
                next["metadata"]!["generation"] = Generation(current) + 1;
            return CommitUpdate(type, next);
        }
    }

    private JsonObject CommitUpdate(ResourceType type, JsonObject next)
    {
        if (next["metadata"]!["deletionTimestamp"] is not null && Finalizers(next).Count == 0 && type.Key != ResourceCatalog.Namespaces.Key
            && (next["metadata"]!["deletionGracePeriodSeconds"]?.ToJsonString() ?? "0") == "0")
        {
            Bucket(type).Remove(Key((string?)next["metadata"]!["namespace"], (string)next["metadata"]!["name"]!));
            return Commit(type, next, "DELETED", remove: true);
        }
        if (type.Key == ResourceCatalog.CustomResourceDefinitions.Key) Catalog.Register(next);
        return Commit(type, next, "MODIFIED");
    }

    /// <summary>A DELETE with a propagation policy; answers the object as it stands after the call.</summary>
    public JsonObject Delete(ResourceType type, string? ns, string name, string? propagationPolicy, int? gracePeriodSeconds = null)
    {
        lock (_gate)
        {
            var current = Bucket(type).TryGetValue(Key(ns, name), out var found) ? found : throw ApiError.NotFound(type, name);
            var policy = propagationPolicy ?? (type.Key == ResourceCatalog.Jobs.Key ? "Orphan" : "Background");
            if (policy is not ("Background" or "Foreground" or "Orphan"))
                throw ApiError.BadRequest($"propagationPolicy: Unsupported value: \"{policy}\"");

            if (type.Key == ResourceCatalog.Namespaces.Key)
            {
                if (current["metadata"]!["deletionTimestamp"] is not null) return (JsonObject)current.DeepClone();
                var terminating = (JsonObject)current.DeepClone();
                terminating["metadata"]!["deletionTimestamp"] = Now();
                terminating["metadata"]!["deletionGracePeriodSeconds"] = 0;
                terminating["status"] = new JsonObject { ["phase"] = "Terminating" };
                return Commit(type, terminating, "MODIFIED");
            }

            var finalizers = Finalizers(current);
            var extra = policy switch { "Foreground" => "foregroundDeletion", "Orphan" => "orphan", _ => null };
            var grace = type.Key == ResourceCatalog.Pods.Key && current["metadata"]!["deletionTimestamp"] is null && GracefulDeletion?.Invoke(current) is { } running
                ? Math.Min(running, gracePeriodSeconds ?? running)
                : 0;
            if (finalizers.Count == 0 && extra is null && grace == 0)
            {
                Bucket(type).Remove(Key(ns, name));
                return Commit(type, (JsonObject)current.DeepClone(), "DELETED", remove: true);
            }
            var next = (JsonObject)current.DeepClone();
            var changed = false;
            if (next["metadata"]!["deletionTimestamp"] is null)
            {
                next["metadata"]!["deletionTimestamp"] = Timestamp(_clock.GetUtcNow().AddSeconds(grace));
                next["metadata"]!["deletionGracePeriodSeconds"] = grace;
                changed = true;
            }
            if (extra is not null && !finalizers.Contains(extra))
            {
                if (next["metadata"]!["finalizers"] is not JsonArray list) next["metadata"]!["finalizers"] = list = new JsonArray();
                list.Add(extra);
                changed = true;
            }
            return changed ? Commit(type, next, "MODIFIED") : next;
        }
    }

    /// <summary>
    /// Says who still has to stop a pod before it can go (the kubelet, with the grace period it grants), or null when
    /// nothing runs it: a pod being deleted keeps its deletionGracePeriodSeconds until <see cref="ConfirmPodStopped"/>.
    /// </summary>
    internal Func<JsonObject, int?>? GracefulDeletion { get; set; }

    /// <summary>The kubelet's last word on a pod being deleted: its container has stopped, so the pod goes once its finalizers have.</summary>
    internal void ConfirmPodStopped(string ns, string name)
    {
        lock (_gate)
        {
            if (!Bucket(ResourceCatalog.Pods).TryGetValue(Key(ns, name), out var current) || current["metadata"]!["deletionTimestamp"] is null) return;
            var next = (JsonObject)current.DeepClone();
            next["metadata"]!["deletionGracePeriodSeconds"] = 0;
            CommitUpdate(ResourceCatalog.Pods, next);
        }
    }

    private static string Timestamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    /// <summary>Removes an object outright (a namespace whose content is gone, a CRD's custom resources).</summary>
    internal void Remove(ResourceType type, string? ns, string name)
    {
        lock (_gate)
        {
            if (Bucket(type).Remove(Key(ns, name), out var current))
                Commit(type, (JsonObject)current.DeepClone(), "DELETED", remove: true);
        }
    }

    private static long Generation(JsonObject obj) =>
        obj["metadata"]?["generation"] is { } g ? long.Parse(g.ToJsonString(), CultureInfo.InvariantCulture) : 1;

    internal static List<string> Finalizers(JsonObject obj) =>
        (obj["metadata"]?["finalizers"] as JsonArray)?.Select(f => (string)f!).ToList() ?? [];

    private static string SpecOf(JsonObject obj)
    {
        if (obj["spec"] is { } spec) return spec.ToJsonString();
        var rest = new JsonObject();
        foreach (var (key, value) in obj)
            if (key is not ("metadata" or "status" or "apiVersion" or "kind")) rest[key] = value?.DeepClone();
        return rest.ToJsonString();
    }

    private JsonObject Commit(ResourceType type, JsonObject obj, string eventType, bool remove = false)
    {
        var version = ++_resourceVersion;
        obj["metadata"]!["resourceVersion"] = version.ToString(CultureInfo.InvariantCulture);
        var key = Key((string?)obj["metadata"]!["namespace"], (string)obj["metadata"]!["name"]!);
        var previous = Bucket(type).GetValueOrDefault(key);
        if (!remove) Bucket(type)[key] = obj;
        var change = new WatchEvent(eventType, type, (JsonObject)obj.DeepClone(), version);
        _history.AddLast(change);
        while (_history.Count > _historyLimit)
        {
            _forgottenUpTo = _history.First!.Value.ResourceVersion;
            _history.RemoveFirst();
        }
        foreach (var subscription in _subscriptions)
            if (subscription.Translate(change, previous) is { } seen)
                subscription.Events.Writer.TryWrite(seen with { Object = (JsonObject)seen.Object.DeepClone() });
        return (JsonObject)obj.DeepClone();
    }

    /// <summary>
    /// Opens a watch. With no resourceVersion (or "0") every current object comes first as a synthetic ADDED;
    /// with one, the events after it are replayed, or null is answered when the history no longer reaches back that far.
    /// </summary>
    internal (Subscription? Subscription, IReadOnlyList<WatchEvent> First, long ResourceVersion) Watch(
        ResourceType? type, string? ns, LabelSelector? labels, FieldSelector? fields, string? resourceVersion, bool external)
    {
        lock (_gate)
        {
            var subscription = new Subscription(type, ns, labels, fields, external);
            List<WatchEvent> first;
            if (string.IsNullOrEmpty(resourceVersion) || resourceVersion == "0")
            {
                first = _objects
                    .Where(b => type is null || b.Key == type.Key)
                    .SelectMany(b => b.Value.Values)
                    .Select(o => (Type: TypeOf(o), Object: o))
                    .Where(p => p.Type is not null)
                    .Select(p => new WatchEvent("ADDED", p.Type!, (JsonObject)p.Object.DeepClone(), long.Parse((string)p.Object["metadata"]!["resourceVersion"]!, CultureInfo.InvariantCulture)))
                    .Where(subscription.Matches)
                    .OrderBy(e => e.ResourceVersion)
                    .ToList();
            }
            else
            {
                if (!long.TryParse(resourceVersion, NumberStyles.None, CultureInfo.InvariantCulture, out var since))
                    throw ApiError.BadRequest($"invalid resource version: \"{resourceVersion}\"");
                if (since < _forgottenUpTo) return (null, [], since);
                first = _history.Where(e => e.ResourceVersion > since).Where(subscription.Matches)
                    .Select(e => e with { Object = (JsonObject)e.Object.DeepClone() }).ToList();
            }
            _subscriptions.Add(subscription);
            return (subscription, first, _resourceVersion);
        }
    }

    internal void Unsubscribe(Subscription subscription)
    {
        lock (_gate) _subscriptions.Remove(subscription);
        subscription.Events.Writer.TryComplete();
    }

    /// <summary>Ends every open watch request, as a restarted API server or a broken connection would.</summary>
    internal int DropExternalWatches()
    {
        List<Subscription> dropped;
        lock (_gate) dropped = _subscriptions.Where(s => s.External).ToList();
        foreach (var subscription in dropped) subscription.Dropped.Cancel();
        return dropped.Count;
    }

    internal int OpenWatches { get { lock (_gate) return _subscriptions.Count(s => s.External); } }

    private static string RandomSuffix()
    {
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        return string.Create(5, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++) span[i] = alphabet[Random.Shared.Next(alphabet.Length)];
        });
    }

    internal static string PodSuffix() => RandomSuffix();
}
