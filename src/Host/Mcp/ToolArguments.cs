using System.Text.Json;

namespace Catalyst.Host.Mcp;

/// <summary>
/// Checks a call's arguments against the tool's input schema before the SDK binds them, so that a missing, misspelt or
/// mistyped argument is answered with its name instead of the SDK's "An error occurred invoking ...".
/// </summary>
public static class ToolArguments
{
    public static IReadOnlyList<string> Check(JsonElement inputSchema, IReadOnlyDictionary<string, JsonElement>? arguments)
    {
        arguments ??= new Dictionary<string, JsonElement>();
        var errors = new List<string>();
        var properties = inputSchema.TryGetProperty("properties", out var p) && p.ValueKind == JsonValueKind.Object
            ? p.EnumerateObject().ToDictionary(x => x.Name, x => x.Value)
            : [];

        if (inputSchema.TryGetProperty("required", out var required) && required.ValueKind == JsonValueKind.Array)
        {
            foreach (var name in required.EnumerateArray().Select(r => r.GetString()!))
            {
                if (!arguments.TryGetValue(name, out var value) || value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
                    errors.Add($"“{name}” is required.");
            }
        }

        foreach (var (name, value) in arguments)
        {
            if (!properties.TryGetValue(name, out var schema))
            {
                errors.Add(properties.Count == 0 ? $"There is no argument “{name}”: this tool takes none."
                    : $"There is no argument “{name}”; the arguments are {string.Join(", ", properties.Keys)}.");
                continue;
            }
            var types = AllowedTypes(schema);
            if (types.Count > 0 && !types.Any(t => Matches(t, value)))
                errors.Add($"“{name}” must be {string.Join(" or ", types.Where(t => t != "null").Select(Article))}{(types.Contains("null") ? " (or left out)" : "")}.");
        }
        return errors;
    }

    private static List<string> AllowedTypes(JsonElement schema) =>
        !schema.TryGetProperty("type", out var type) ? []
        : type.ValueKind == JsonValueKind.String ? [type.GetString()!]
        : type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()!).ToList()
        : [];

    private static bool Matches(string type, JsonElement value) => type switch
    {
        "string" => value.ValueKind == JsonValueKind.String,
        "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _),
        "number" => value.ValueKind == JsonValueKind.Number,
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "null" => value.ValueKind == JsonValueKind.Null,
        "object" => value.ValueKind == JsonValueKind.Object,
        "array" => value.ValueKind == JsonValueKind.Array,
        _ => true,
    };

    private static string Article(string type) => type switch
    {
        "integer" => "an integer",
        "object" => "an object",
        "array" => "an array",
        _ => $"a {type}",
    };
}
