using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace Catalyst.KubernetesLoopback;

/// <summary>One kind of object the server serves: where it lives on the wire and which rules apply to it.</summary>
public sealed record ResourceType(
    string Group,
    string Version,
    string Plural,
    string Singular,
    string Kind,
    bool Namespaced,
    bool HasStatus,
    bool IsCustom = false,
    string[]? ShortNames = null)
{
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";
    public string GroupVersion => ApiVersion;

    /// <summary>How kube-apiserver names the resource in messages: <c>pods</c>, <c>jobs.batch</c>.</summary>
    public string QualifiedPlural => Group.Length == 0 ? Plural : $"{Plural}.{Group}";

    public string Key => $"{Group}/{Plural}";

    /// <summary>Whether a PUT without metadata.resourceVersion is refused (custom resources; built-ins allow it).</summary>
    public bool RequiresResourceVersionOnUpdate => IsCustom;
}

/// <summary>The resources the server knows: the built-ins at start, then whatever a CRD adds.</summary>
public sealed class ResourceCatalog
{
    private static readonly string[] AllVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
    private readonly ConcurrentDictionary<string, ResourceType> _byGroupVersionPlural = new();

    public ResourceCatalog()
    {
        Add(Namespaces);
        Add(Pods);
        Add(Secrets);
        Add(ConfigMaps);
        Add(PersistentVolumeClaims);
        Add(new("", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", true, false, ShortNames: ["sa"]));
        Add(new("", "v1", "services", "service", "Service", true, true, ShortNames: ["svc"]));
        Add(new("", "v1", "resourcequotas", "resourcequota", "ResourceQuota", true, true, ShortNames: ["quota"]));
        Add(new("", "v1", "limitranges", "limitrange", "LimitRange", true, false, ShortNames: ["limits"]));
        Add(new("", "v1", "events", "event", "Event", true, false, ShortNames: ["ev"]));
        Add(new("", "v1", "nodes", "node", "Node", false, true, ShortNames: ["no"]));
        Add(Jobs);
        Add(new("networking.k8s.io", "v1", "networkpolicies", "networkpolicy", "NetworkPolicy", true, false, ShortNames: ["netpol"]));
        Add(new("coordination.k8s.io", "v1", "leases", "lease", "Lease", true, false));
        Add(new("rbac.authorization.k8s.io", "v1", "roles", "role", "Role", true, false));
        Add(new("rbac.authorization.k8s.io", "v1", "rolebindings", "rolebinding", "RoleBinding", true, false));
        Add(new("rbac.authorization.k8s.io", "v1", "clusterroles", "clusterrole", "ClusterRole", false, false));
        Add(new("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding", false, false));
        Add(CustomResourceDefinitions);
    }

    public static ResourceType Namespaces { get; } = new("", "v1", "namespaces", "namespace", "Namespace", false, true, ShortNames: ["ns"]);
    public static ResourceType Pods { get; } = new("", "v1", "pods", "pod", "Pod", true, true, ShortNames: ["po"]);
    public static ResourceType Jobs { get; } = new("batch", "v1", "jobs", "job", "Job", true, true);
    public static ResourceType Secrets { get; } = new("", "v1", "secrets", "secret", "Secret", true, false);
    public static ResourceType PersistentVolumeClaims { get; } = new("", "v1", "persistentvolumeclaims", "persistentvolumeclaim", "PersistentVolumeClaim", true, true, ShortNames: ["pvc"]);
    public static ResourceType ConfigMaps { get; } = new("", "v1", "configmaps", "configmap", "ConfigMap", true, false, ShortNames: ["cm"]);
    public static ResourceType CustomResourceDefinitions { get; } = new("apiextensions.k8s.io", "v1", "customresourcedefinitions", "customresourcedefinition", "CustomResourceDefinition", false, true, ShortNames: ["crd", "crds"]);

    public void Add(ResourceType type) => _byGroupVersionPlural[$"{type.GroupVersion}/{type.Plural}"] = type;

    public void Remove(string group, string plural)
    {
        foreach (var (key, type) in _byGroupVersionPlural)
            if (type.IsCustom && type.Group == group && type.Plural == plural) _byGroupVersionPlural.TryRemove(key, out _);
    }

    public ResourceType? Find(string groupVersion, string plural) =>
        _byGroupVersionPlural.TryGetValue($"{groupVersion}/{plural}", out var type) ? type : null;

    public ResourceType? FindByKind(string apiVersion, string kind) =>
        _byGroupVersionPlural.Values.FirstOrDefault(t => t.ApiVersion == apiVersion && t.Kind == kind);

    public IReadOnlyList<ResourceType> All => _byGroupVersionPlural.Values.OrderBy(t => t.Group).ThenBy(t => t.Plural).ToList();

    /// <summary>Registers (or re-registers) every served version of a CustomResourceDefinition.</summary>
    public IReadOnlyList<ResourceType> Register(JsonObject crd)
    {
        var spec = crd["spec"]!.AsObject();
        var group = (string)spec["group"]!;
        var names = spec["names"]!.AsObject();
        var plural = (string)names["plural"]!;
        Remove(group, plural);
        var added = new List<ResourceType>();
        foreach (var version in spec["versions"]?.AsArray() ?? [])
        {
            if (version?["served"]?.GetValue<bool>() == false) continue;
            var type = new ResourceType(
                group,
                (string)version!["name"]!,
                plural,
                (string?)names["singular"] ?? ((string)names["kind"]!).ToLowerInvariant(),
                (string)names["kind"]!,
                (string?)spec["scope"] != "Cluster",
                version["subresources"]?["status"] is not null,
                IsCustom: true,
                ShortNames: names["shortNames"]?.AsArray().Select(n => (string)n!).ToArray());
            Add(type);
            added.Add(type);
        }
        return added;
    }

    public JsonObject ResourceList(string groupVersion)
    {
        var resources = new JsonArray();
        foreach (var type in All.Where(t => t.GroupVersion == groupVersion))
        {
            var resource = new JsonObject
            {
                ["name"] = type.Plural,
                ["singularName"] = type.Singular,
                ["namespaced"] = type.Namespaced,
                ["kind"] = type.Kind,
                ["verbs"] = new JsonArray(AllVerbs.Select(v => (JsonNode)JsonValue.Create(v)).ToArray()),
            };
            if (type.ShortNames is { Length: > 0 })
                resource["shortNames"] = new JsonArray(type.ShortNames.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());
            resources.Add(resource);
            if (type.HasStatus)
                resources.Add(new JsonObject
                {
                    ["name"] = $"{type.Plural}/status", ["singularName"] = "", ["namespaced"] = type.Namespaced, ["kind"] = type.Kind,
                    ["verbs"] = new JsonArray("get", "patch", "update"),
                });
            if (type.Plural == "pods" && type.Group == "")
                resources.Add(new JsonObject
                {
                    ["name"] = "pods/log", ["singularName"] = "", ["namespaced"] = true, ["kind"] = "Pod", ["verbs"] = new JsonArray("get"),
                });
        }
        return new JsonObject { ["kind"] = "APIResourceList", ["apiVersion"] = "v1", ["groupVersion"] = groupVersion, ["resources"] = resources };
    }

    public IReadOnlyList<string> Groups => All.Where(t => t.Group.Length > 0).Select(t => t.Group).Distinct().ToList();

    public JsonObject Group(string group)
    {
        var versions = All.Where(t => t.Group == group).Select(t => t.Version).Distinct().ToList();
        return new JsonObject
        {
            ["kind"] = "APIGroup",
            ["apiVersion"] = "v1",
            ["name"] = group,
            ["versions"] = new JsonArray(versions.Select(v => (JsonNode)new JsonObject { ["groupVersion"] = $"{group}/{v}", ["version"] = v }).ToArray()),
            ["preferredVersion"] = new JsonObject { ["groupVersion"] = $"{group}/{versions[0]}", ["version"] = versions[0] },
        };
    }

    public JsonObject GroupList()
    {
        var groups = new JsonArray();
        foreach (var group in Groups)
        {
            var g = Group(group);
            g.Remove("kind");
            g.Remove("apiVersion");
            groups.Add(g);
        }
        return new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = groups };
    }

    private static string OpenApiPath(string groupVersion) => groupVersion == "v1" ? "api/v1" : $"apis/{groupVersion}";

    /// <summary>
    /// The OpenAPI v3 index kubectl reads before it writes: each group version's document lists a PATCH that takes
    /// <c>fieldValidation</c>, so kubectl leaves validation to the server instead of downloading schemas.
    /// </summary>
    public JsonObject OpenApiRoot()
    {
        var paths = new JsonObject();
        foreach (var groupVersion in All.Select(t => t.GroupVersion).Distinct())
            paths[OpenApiPath(groupVersion)] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{OpenApiPath(groupVersion)}?hash={Math.Abs(groupVersion.GetHashCode()):X}" };
        return new JsonObject { ["paths"] = paths };
    }

    public JsonObject? OpenApiDocument(string path)
    {
        var types = All.Where(t => OpenApiPath(t.GroupVersion) == path).ToList();
        if (types.Count == 0) return null;
        var paths = new JsonObject();
        foreach (var type in types)
        {
            var prefix = "/" + OpenApiPath(type.GroupVersion) + (type.Namespaced ? "/namespaces/{namespace}" : "");
            paths[$"{prefix}/{type.Plural}/{{name}}"] = new JsonObject
            {
                ["patch"] = new JsonObject
                {
                    ["operationId"] = $"patch{type.Kind}",
                    ["parameters"] = new JsonArray(
                        new JsonObject { ["name"] = "fieldValidation", ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "string" } },
                        new JsonObject { ["name"] = "fieldManager", ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "string" } }),
                    ["responses"] = new JsonObject { ["200"] = new JsonObject { ["description"] = "OK" } },
                    ["x-kubernetes-action"] = "patch",
                    ["x-kubernetes-group-version-kind"] = new JsonObject { ["group"] = type.Group, ["version"] = type.Version, ["kind"] = type.Kind },
                },
            };
        }
        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = "v1.32.0" },
            ["paths"] = paths,
            ["components"] = new JsonObject { ["schemas"] = new JsonObject() },
        };
    }
}
