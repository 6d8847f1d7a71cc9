using System.Text.Json;
using System.Text.Json.Nodes;

namespace Catalyst.Host.Mcp;

/// <summary>
/// The closed sets of the MCP tools, each value spelt one way (kebab-case) in schemas and answers. The spellings older clients
/// learnt from the prose (`pull_request`, `awaiting approval`) are still accepted as aliases.
/// </summary>
public static class McpSpellings
{
    public static readonly string[] TaskTypes = ["pr-review", "issue-fix", "feature-dev", "refactor"];
    public static readonly string[] Contexts = ["manual", "pull-request", "issue"];
    public static readonly string[] Statuses =
        ["pending", "provisioning", "running", "awaiting-approval", "awaiting-choice", "completed", "failed", "cancelled", "timeout"];
    public static readonly string[] Levels = ["debug", "info", "warn", "error"];

    /// <summary>The argument names whose values are one of a closed set, and that set.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> ClosedSets = new Dictionary<string, string[]>
    {
        ["type"] = TaskTypes,
        ["context"] = Contexts,
        ["status"] = Statuses,
        ["level"] = Levels,
    };

    /// <summary>Any spelling of a closed-set value (case, space, underscore or dash) as its one spelling; unknown values as given.</summary>
    public static string Canonical(string argument, string value)
    {
        if (!ClosedSets.TryGetValue(argument, out var set)) return value;
        var key = Key(value);
        if (argument == "level" && key == "warning") return "warn";
        return set.FirstOrDefault(v => Key(v) == key) ?? value;
    }

    private static string Key(string value) => value.Trim().ToLowerInvariant().Replace('_', '-').Replace(' ', '-');

    /// <summary>Rewrites closed-set arguments given in an old spelling to the one spelling, before the schema check.</summary>
    public static void Normalise(IDictionary<string, JsonElement>? arguments)
    {
        if (arguments is null) return;
        foreach (var name in ClosedSets.Keys)
        {
            if (!arguments.TryGetValue(name, out var value) || value.ValueKind != JsonValueKind.String) continue;
            string given;
            try { given = value.GetString()!; }
            catch (InvalidOperationException) { continue; } // Broken Unicode: the schema check names it.
            var canonical = Canonical(name, given);
            if (canonical != given) arguments[name] = JsonSerializer.SerializeToElement(canonical);
        }
    }

    /// <summary>The domain's word for a status ("awaiting approval") from the MCP spelling ("awaiting-approval").</summary>
    public static string? StatusToDomain(string? status) => status?.Replace('-', ' ');

    /// <summary>The domain's word for a context kind ("pull_request") from the MCP spelling ("pull-request").</summary>
    public static string ContextToDomain(string context) => context.Replace('-', '_');

    /// <summary>An answer's statuses and contexts in the MCP spelling (the pages keep their words).</summary>
    public static void InAnswer(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (name, value) in o.ToList())
                {
                    if (name is "status" && value is JsonValue s && s.TryGetValue<string>(out var status))
                        o[name] = Canonical("status", status);
                    else if (name is "context" && value is JsonValue c && c.TryGetValue<string>(out var context))
                        o[name] = context.Replace("pull_request", "pull-request", StringComparison.Ordinal);
                    else if (name is "counts_by_status" && value is JsonObject counts)
                    {
                        var renamed = new JsonObject();
                        foreach (var (key, count) in counts.ToList()) renamed[Canonical("status", key)] = count?.DeepClone();
                        o[name] = renamed;
                    }
                    else InAnswer(value);
                }
                break;
            case JsonArray a:
                foreach (var item in a) InAnswer(item);
                break;
        }
    }
}
