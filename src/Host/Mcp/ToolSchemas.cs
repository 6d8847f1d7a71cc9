using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol.Server;

namespace Catalyst.Host.Mcp;

/// <summary>
/// The limits of every MCP argument, written into the tools' input schemas (what a model reads) and checked by
/// <see cref="ToolArguments"/> before a tool runs (what the server enforces). docs/limits.md lists the same table.
/// An argument is limited by its name; where one name has different limits in different tools, the tool names it.
/// </summary>
public static class ToolSchemas
{
    public const string UuidPattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";
    public const int MaxContextDetailsChars = 64 * 1024;
    public const int MaxInstructionsChars = 100 * 1024;
    public const int MaxNotesChars = 10_000;
    /// <summary>The largest integer every JSON client reads exactly.</summary>
    public const long MaxSafeInteger = 9_007_199_254_740_991;

    /// <summary>Arguments whose text may span lines (a newline and a tab are allowed; other control characters never are).</summary>
    public static readonly HashSet<string> MultiLine = ["instructions", "context_details", "notes", "reason"];

    private static JsonObject Text(int max, int min = 0, string? pattern = null, string? format = null)
    {
        var o = new JsonObject { ["minLength"] = min, ["maxLength"] = max };
        if (pattern is not null) o["pattern"] = pattern;
        if (format is not null) o["format"] = format;
        return o;
    }

    private static JsonObject Range(long min, long max) => new() { ["minimum"] = min, ["maximum"] = max };
    private static JsonObject Closed(string[] values) => new() { ["enum"] = new JsonArray(values.Select(v => (JsonNode)v).ToArray()) };

    /// <summary>(tool or "*", argument) → the schema keywords that limit it.</summary>
    private static readonly Dictionary<(string Tool, string Argument), Func<JsonObject>> Rules = new()
    {
        [("*", "task_id")] = () => Text(36, 36, UuidPattern, "uuid"),
        [("*", "run_id")] = () => Text(36, 36, UuidPattern, "uuid"),
        [("*", "project")] = () => Text(50, 1),
        [("*", "type")] = () => Closed(McpSpellings.TaskTypes),
        [("*", "context")] = () => Closed(McpSpellings.Contexts),
        [("*", "status")] = () => Closed(McpSpellings.Statuses),
        [("*", "level")] = () => Closed(McpSpellings.Levels),
        [("*", "instructions")] = () => Text(MaxInstructionsChars, 1),
        [("*", "provider")] = () => Text(100, 1),
        [("*", "credential")] = () => Text(100, 1),
        [("*", "context_number")] = () => Range(1, int.MaxValue),
        [("*", "context_details")] = () => Text(MaxContextDetailsChars),
        [("*", "budget_tokens")] = () => Range(1, 1_000_000_000_000),
        [("*", "budget_usd")] = () => new JsonObject { ["exclusiveMinimum"] = 0, ["maximum"] = 1_000_000 },
        [("*", "notes")] = () => Text(MaxNotesChars),
        [("*", "reason")] = () => Text(MaxNotesChars),
        [("*", "since")] = () => Text(40, 0, null, "date-time"),
        [("*", "until")] = () => Text(40, 0, null, "date-time"),
        [("*", "after_sequence")] = () => Range(0, MaxSafeInteger),
        [("*", "page")] = () => Range(1, 100_000),
        [("list_agent_tasks", "limit")] = () => Range(1, 100),
        [("get_agent_task_logs", "limit")] = () => Range(1, 1000),
        [("wait_for_agent_task", "limit")] = () => Range(1, 1000),
        [("wait_for_agent_task", "timeout_seconds")] = () => Range(1, 60),
        [("get_agent_provider", "name")] = () => Text(100, 1),
        [("create_project", "name")] = () => Text(100, 1),
        [("create_project", "slug")] = () => Text(50, 1, "^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$"),
        [("create_project", "repository_url")] = () => Text(2000, 1),
        [("create_project", "default_branch")] = () => Text(200, 0, "^[^-]"),
        [("create_project", "github_repository")] = () => Text(140),
        [("create_project", "timeout_seconds")] = () => Range(5, 86_400),
        [("create_project", "max_concurrent_tasks")] = () => Range(1, 100),
        [("*", "runs")] = () => new JsonObject { ["minItems"] = 2, ["maxItems"] = 5 },
    };

    /// <summary>The limits of one argument of one tool, or null when it has none (a boolean needs none).</summary>
    public static JsonObject? RuleFor(string tool, string argument) =>
        Rules.TryGetValue((tool, argument), out var specific) ? specific()
        : Rules.TryGetValue(("*", argument), out var general) ? general()
        : null;

    /// <summary>Puts the limits into every tool's input schema, once, when the server's options are built.</summary>
    public static void Apply(McpServerOptions options)
    {
        foreach (var tool in options.ToolCollection ?? [])
            tool.ProtocolTool.InputSchema = Harden(tool.ProtocolTool.Name, tool.ProtocolTool.InputSchema);
    }

    /// <summary>
    /// The schema with each argument's limits, `additionalProperties: false` on every object, nested objects' fields required and
    /// limited, and a nullable argument written as anyOf [the type, null].
    /// </summary>
    public static JsonElement Harden(string tool, JsonElement schema)
    {
        var root = JsonNode.Parse(schema.GetRawText())!.AsObject();
        HardenObject(tool, root);
        return JsonSerializer.SerializeToElement(root);
    }

    private static void HardenObject(string tool, JsonObject schema)
    {
        schema["additionalProperties"] = false;
        if (schema["properties"] is not JsonObject properties) return;
        foreach (var (name, node) in properties.ToList())
        {
            if (node is not JsonObject property) continue;
            var limits = RuleFor(tool, name);
            if (property["items"] is JsonObject { } items && items["type"]?.ToString() == "object")
            {
                HardenObject(tool, items);
                if (items["properties"] is JsonObject itemProperties)
                    items["required"] = new JsonArray(itemProperties.Select(p => (JsonNode)p.Key).ToArray());
            }
            properties[name] = Nullable(property, limits);
        }
    }

    /// <summary>{"type":["string","null"], …} becomes {"anyOf":[{"type":"string", limits…},{"type":"null"}], description, default}.</summary>
    private static JsonObject Nullable(JsonObject property, JsonObject? limits)
    {
        var types = property["type"] is JsonArray array ? array.Select(t => t!.ToString()).ToList() : null;
        if (types is null || !types.Contains("null"))
        {
            if (limits is not null) foreach (var (key, value) in limits) property[key] = value?.DeepClone();
            return property;
        }
        var inner = new JsonObject();
        var outer = new JsonObject();
        foreach (var (key, value) in property)
        {
            if (key == "type") continue;
            if (key is "description" or "default" or "title") outer[key] = value?.DeepClone();
            else inner[key] = value?.DeepClone();
        }
        var nonNull = types.Where(t => t != "null").ToList();
        inner["type"] = nonNull.Count == 1 ? nonNull[0] : new JsonArray(nonNull.Select(t => (JsonNode)t).ToArray());
        if (limits is not null) foreach (var (key, value) in limits) inner[key] = value?.DeepClone();
        outer["anyOf"] = new JsonArray(inner, new JsonObject { ["type"] = "null" });
        return outer;
    }
}
