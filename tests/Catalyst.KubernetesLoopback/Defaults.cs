using System.Text.Json.Nodes;

namespace Catalyst.KubernetesLoopback;

/// <summary>What kube-apiserver fills in on create for the kinds whose controllers here depend on it.</summary>
internal static class Defaults
{
    public static void OnCreate(ResourceType type, JsonObject obj)
    {
        var metadata = obj["metadata"]!.AsObject();
        switch (type.Key)
        {
            case var k when k == ResourceCatalog.Namespaces.Key:
                Labels(metadata)["kubernetes.io/metadata.name"] = (string)metadata["name"]!;
                obj["spec"] = new JsonObject { ["finalizers"] = new JsonArray("kubernetes") };
                obj["status"] = new JsonObject { ["phase"] = "Active" };
                break;
            case var k when k == ResourceCatalog.Pods.Key:
                obj["status"] = new JsonObject { ["phase"] = "Pending", ["qosClass"] = "BestEffort" };
                var podSpec = obj["spec"] as JsonObject ?? new JsonObject();
                obj["spec"] = podSpec;
                podSpec["restartPolicy"] ??= "Always";
                podSpec["serviceAccountName"] ??= "default";
                break;
            case var k when k == ResourceCatalog.Jobs.Key:
                Job(obj, metadata);
                break;
            case var k when k == ResourceCatalog.CustomResourceDefinitions.Key:
                var names = obj["spec"]?["names"]?.DeepClone() as JsonObject ?? new JsonObject();
                if (names["singular"] is null && names["kind"] is { } kind) names["singular"] = ((string)kind!).ToLowerInvariant();
                names["listKind"] ??= $"{(string?)names["kind"]}List";
                obj["status"] = new JsonObject
                {
                    ["acceptedNames"] = names,
                    ["conditions"] = new JsonArray(
                        Condition("NamesAccepted", "NoConflicts", "no conflicts found"),
                        Condition("Established", "InitialNamesAccepted", "the initial names have been accepted")),
                    ["storedVersions"] = new JsonArray((obj["spec"]?["versions"] as JsonArray ?? [])
                        .Where(v => v?["storage"]?.GetValue<bool>() == true).Select(v => (JsonNode)JsonValue.Create((string)v!["name"]!)).ToArray()),
                };
                break;
        }
    }

    /// <summary>On every write of a Secret: stringData goes into data, base64-encoded, as kube-apiserver does.</summary>
    public static void OnWrite(ResourceType type, JsonObject obj)
    {
        if (type.Key != ResourceCatalog.Secrets.Key || obj["stringData"] is not JsonObject stringData) return;
        if (obj["data"] is not JsonObject data) obj["data"] = data = new JsonObject();
        foreach (var (key, value) in stringData)
            data[key] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes((string?)value ?? ""));
        obj.Remove("stringData");
        obj["type"] ??= "Opaque";
    }

    private static void Job(JsonObject obj, JsonObject metadata)
    {
        var spec = obj["spec"] as JsonObject ?? new JsonObject();
        obj["spec"] = spec;
        spec["backoffLimit"] ??= 6;
        spec["completions"] ??= 1;
        spec["parallelism"] ??= 1;
        spec["completionMode"] ??= "NonIndexed";
        spec["suspend"] ??= false;
        var uid = (string)metadata["uid"]!;
        var name = (string)metadata["name"]!;
        spec["selector"] ??= new JsonObject { ["matchLabels"] = new JsonObject { ["batch.kubernetes.io/controller-uid"] = uid } };
        var template = spec["template"] as JsonObject ?? new JsonObject();
        spec["template"] = template;
        var templateMetadata = template["metadata"] as JsonObject ?? new JsonObject();
        template["metadata"] = templateMetadata;
        var labels = Labels(templateMetadata);
        labels["batch.kubernetes.io/controller-uid"] = uid;
        labels["batch.kubernetes.io/job-name"] = name;
        labels["controller-uid"] = uid;
        labels["job-name"] = name;
        obj["status"] = new JsonObject();
    }

    internal static JsonObject Labels(JsonObject metadata)
    {
        if (metadata["labels"] is not JsonObject labels) metadata["labels"] = labels = new JsonObject();
        return labels;
    }

    internal static JsonObject Condition(string type, string reason, string message, string status = "True", string? time = null) => new()
    {
        ["type"] = type,
        ["status"] = status,
        ["lastTransitionTime"] = time ?? DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ"),
        ["reason"] = reason,
        ["message"] = message,
    };
}
