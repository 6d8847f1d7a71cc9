using System.Text.Json.Nodes;

namespace Catalyst.KubernetesLoopback;

/// <summary>JSON merge patch (RFC 7386) and JSON patch (RFC 6902) over an object held as JSON.</summary>
public static class Patches
{
    public static JsonNode? MergePatch(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject) return patch?.DeepClone();
        var result = target as JsonObject ?? new JsonObject();
        foreach (var (key, value) in patchObject)
        {
            if (value is null) result.Remove(key);
            else
            {
                var merged = MergePatch(result[key]?.DeepClone(), value);
                result[key] = merged;
            }
        }
        return result;
    }

    public static JsonNode JsonPatch(JsonNode target, JsonArray operations)
    {
        var document = target.DeepClone();
        foreach (var operation in operations)
        {
            var op = (string?)operation?["op"] ?? throw ApiError.BadRequest("json patch operation without op");
            var path = (string?)operation!["path"] ?? throw ApiError.BadRequest("json patch operation without path");
            switch (op)
            {
                case "add": Add(ref document, path, operation["value"]?.DeepClone()); break;
                case "remove": Remove(document, path); break;
                case "replace":
                    Remove(document, path);
                    Add(ref document, path, operation["value"]?.DeepClone());
                    break;
                case "move":
                {
                    var from = (string)operation["from"]!;
                    var value = Find(document, from)?.DeepClone();
                    Remove(document, from);
                    Add(ref document, path, value);
                    break;
                }
                case "copy":
                    Add(ref document, path, Find(document, (string)operation["from"]!)?.DeepClone());
                    break;
                case "test":
                    if (!JsonNode.DeepEquals(Find(document, path), operation["value"]))
                        throw new ApiError(422, "Invalid", $"the server rejected our request due to an error in our request: testing value at {path} failed");
                    break;
                default: throw ApiError.BadRequest($"unknown json patch operation \"{op}\"");
            }
        }
        return document;
    }

    private static string[] Tokens(string path) =>
        path.Length == 0 ? [] : path[1..].Split('/').Select(t => t.Replace("~1", "/").Replace("~0", "~")).ToArray();

    private static JsonNode? Find(JsonNode document, string path)
    {
        JsonNode? node = document;
        foreach (var token in Tokens(path))
        {
            node = node switch
            {
                JsonObject o => o.TryGetPropertyValue(token, out var v) ? v : throw Missing(path),
                JsonArray a when int.TryParse(token, out var i) && i < a.Count => a[i],
                _ => throw Missing(path),
            };
        }
        return node;
    }

    private static (JsonNode Parent, string Last) Parent(JsonNode document, string path)
    {
        var tokens = Tokens(path);
        if (tokens.Length == 0) throw ApiError.BadRequest("json patch on the whole document");
        var parentPath = "/" + string.Join('/', tokens[..^1].Select(t => t.Replace("~", "~0").Replace("/", "~1")));
        var parent = tokens.Length == 1 ? document : Find(document, parentPath) ?? throw Missing(path);
        return (parent, tokens[^1]);
    }

    private static void Add(ref JsonNode document, string path, JsonNode? value)
    {
        if (path.Length == 0)
        {
            document = value ?? throw ApiError.BadRequest("json patch replacing the document with null");
            return;
        }
        var (parent, last) = Parent(document, path);
        switch (parent)
        {
            case JsonObject o: o[last] = value; break;
            case JsonArray a when last == "-": a.Add(value); break;
            case JsonArray a when int.TryParse(last, out var i) && i <= a.Count: a.Insert(i, value); break;
            default: throw Missing(path);
        }
    }

    private static void Remove(JsonNode document, string path)
    {
        var (parent, last) = Parent(document, path);
        switch (parent)
        {
            case JsonObject o when o.ContainsKey(last): o.Remove(last); break;
            case JsonArray a when int.TryParse(last, out var i) && i < a.Count: a.RemoveAt(i); break;
            default: throw Missing(path);
        }
    }

    private static ApiError Missing(string path) =>
        new(422, "Invalid", $"the server rejected our request due to an error in our request: jsonpatch path {path} does not exist");
}
