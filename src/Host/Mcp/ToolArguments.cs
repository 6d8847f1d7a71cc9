using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Catalyst.Host.Mcp;

/// <summary>
/// Checks a call's arguments against the tool's input schema before the SDK binds them, so that a missing, misspelt, mistyped or
/// out-of-range argument is answered with its name and what to send instead of the SDK's "An error occurred invoking ...", and
/// nothing reaches the database that it would refuse (a NUL character, text beyond its limit).
/// </summary>
public static class ToolArguments
{
    public static IReadOnlyList<string> Check(JsonElement inputSchema, IReadOnlyDictionary<string, JsonElement>? arguments)
    {
        arguments ??= new Dictionary<string, JsonElement>();
        var errors = new List<string>();
        CheckObject(inputSchema, arguments, "", errors, topLevel: true);
        return errors;
    }

    private static void CheckObject(JsonElement schema, IReadOnlyDictionary<string, JsonElement> arguments, string path, List<string> errors, bool topLevel)
    {
        var properties = schema.TryGetProperty("properties", out var p) && p.ValueKind == JsonValueKind.Object
            ? p.EnumerateObject().ToDictionary(x => x.Name, x => x.Value)
            : [];

        if (schema.TryGetProperty("required", out var required) && required.ValueKind == JsonValueKind.Array)
        {
            foreach (var name in required.EnumerateArray().Select(r => r.GetString()!))
            {
                if (!arguments.TryGetValue(name, out var value) || value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
                    errors.Add($"“{path}{name}” is required.");
            }
        }

        foreach (var (name, value) in arguments)
        {
            if (!properties.TryGetValue(name, out var property))
            {
                errors.Add(properties.Count == 0 ? $"There is no argument “{path}{name}”: this tool takes none."
                    : topLevel ? $"There is no argument “{name}”; the arguments are {string.Join(", ", properties.Keys)}."
                    : $"“{path}{name}” is not a field here; the fields are {string.Join(", ", properties.Keys)}.");
                continue;
            }
            CheckValue(property, value, path + name, name, errors);
        }
    }

    private static void CheckValue(JsonElement schema, JsonElement value, string path, string name, List<string> errors)
    {
        if (schema.TryGetProperty("anyOf", out var anyOf) && anyOf.ValueKind == JsonValueKind.Array)
        {
            var branches = anyOf.EnumerateArray().ToList();
            var nullable = branches.Any(b => AllowedTypes(b).Contains("null"));
            if (value.ValueKind == JsonValueKind.Null && nullable) return;
            var candidates = branches.Where(b => !AllowedTypes(b).SequenceEqual(["null"])).ToList();
            var typed = candidates.Where(b => AllowedTypes(b) is var t && (t.Count == 0 || t.Any(x => Matches(x, value)))).ToList();
            if (typed.Count == 0)
            {
                var types = candidates.SelectMany(AllowedTypes).Distinct().ToList();
                if (types.Count == 0 && value.ValueKind == JsonValueKind.Null) errors.Add($"“{path}” cannot be null; leave it out instead.");
                else errors.Add($"“{path}” must be {string.Join(" or ", types.Select(Article))}{(nullable ? " (or left out)" : "")}.");
                return;
            }
            CheckValue(typed[0], value, path, name, errors);
            return;
        }

        var allowed = AllowedTypes(schema);
        if (allowed.Count > 0 && !allowed.Any(t => Matches(t, value)))
        {
            // A number out of every range (1e30, -5.5 for an integer) is said as the range it must be in.
            if (allowed.Contains("integer") && value.ValueKind == JsonValueKind.Number && Range(schema) is { } range)
                errors.Add($"“{path}” must be a whole number {range}.");
            else
                errors.Add($"“{path}” must be {string.Join(" or ", allowed.Where(t => t != "null").Select(Article))}{(allowed.Contains("null") ? " (or left out)" : "")}.");
            return;
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                string text;
                try
                {
                    text = value.GetString()!;
                }
                catch (InvalidOperationException)
                {
                    // An escaped lone surrogate (\ud800) is JSON that no .NET string can hold.
                    errors.Add($"“{path}” contains a broken Unicode character (a lone surrogate); send plain text.");
                    break;
                }
                CheckText(schema, text, path, name, errors);
                break;
            case JsonValueKind.Number:
                CheckNumber(schema, value, path, errors);
                break;
            case JsonValueKind.Array:
                var items = value.EnumerateArray().ToList();
                if (schema.TryGetProperty("minItems", out var minItems) && items.Count < minItems.GetInt32()
                    || schema.TryGetProperty("maxItems", out var maxItems) && items.Count > maxItems.GetInt32())
                {
                    errors.Add($"“{path}” has {items.Count} item{(items.Count == 1 ? "" : "s")}; give {Between(schema, "minItems", "maxItems")} items.");
                    return;
                }
                if (schema.TryGetProperty("items", out var itemSchema))
                    for (var i = 0; i < items.Count; i++) CheckValue(itemSchema, items[i], $"{path}[{i}]", name, errors);
                break;
            case JsonValueKind.Object when AllowedTypes(schema).Contains("object"):
                CheckObject(schema, value.EnumerateObject().ToDictionary(x => x.Name, x => x.Value), path + ".", errors, topLevel: false);
                break;
        }
    }

    private static void CheckText(JsonElement schema, string text, string path, string name, List<string> errors)
    {
        if (ProblemCharacter(text, allowLineBreaks: ToolSchemas.MultiLine.Contains(name)) is { } problem)
        {
            errors.Add($"“{path}” contains {problem}; send plain text{(ToolSchemas.MultiLine.Contains(name) ? " (line breaks and tabs are fine)" : " on one line")}.");
            return;
        }
        if (schema.TryGetProperty("enum", out var values) && values.ValueKind == JsonValueKind.Array)
        {
            var allowed = values.EnumerateArray().Select(v => v.GetString()).ToList();
            if (!allowed.Contains(text)) errors.Add($"“{path}” must be one of {string.Join(", ", allowed)}; “{Shorten(text)}” is not.");
            return;
        }
        if (schema.TryGetProperty("format", out var idFormat) && idFormat.GetString() == "uuid")
        {
            if (!Guid.TryParseExact(text, "D", out var id)) errors.Add($"“{path}” must be a UUID such as 0192f0c4-5b7e-7c3a-9d2e-4f6a8b1c2d3e, as the tools return it.");
            else if (id == Guid.Empty) errors.Add($"“{path}” is the all-zero UUID, which is never an id; use an id a tool returned (e.g. list_agent_tasks).");
            return;
        }
        var length = text.EnumerateRunes().Count();
        if (schema.TryGetProperty("maxLength", out var max) && length > max.GetInt32())
            errors.Add($"“{path}” is {length:N0} characters long; keep it to {max.GetInt32():N0} characters or fewer.");
        else if (schema.TryGetProperty("minLength", out var min) && length < min.GetInt32())
            errors.Add(min.GetInt32() == 1 ? $"“{path}” is empty; give a value." : $"“{path}” must be {min.GetInt32()} characters long.");
        else if (schema.TryGetProperty("format", out var format) && format.GetString() == "date-time" && text.Length > 0
                 && !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _))
            errors.Add($"“{path}” is not a time: use ISO 8601, such as 2026-11-25T10:00:00Z.");
        else if (schema.TryGetProperty("pattern", out var pattern) && !Regex.IsMatch(text, pattern.GetString()!, RegexOptions.None, TimeSpan.FromSeconds(1)))
            errors.Add(PatternMessage(path, name));
    }

    private static string PatternMessage(string path, string name) => name switch
    {
        "slug" => $"“{path}” must be 1 to 50 lowercase letters, digits and dashes, not starting or ending with a dash (e.g. billing-service).",
        "default_branch" => $"“{path}” must be a branch name such as main; it cannot start with a dash.",
        _ => $"“{path}” is not in the expected form; see the tool's description.",
    };

    private static void CheckNumber(JsonElement schema, JsonElement value, string path, List<string> errors)
    {
        if (!value.TryGetDouble(out var number)) return;
        var tooLow = schema.TryGetProperty("minimum", out var min) && number < min.GetDouble()
                     || schema.TryGetProperty("exclusiveMinimum", out var xmin) && number <= xmin.GetDouble();
        var tooHigh = schema.TryGetProperty("maximum", out var max) && number > max.GetDouble();
        if ((tooLow || tooHigh) && Range(schema) is { } range) errors.Add($"“{path}” must be {range}; {value.GetRawText()} is not.");
    }

    private static string? Range(JsonElement schema)
    {
        var hasMin = schema.TryGetProperty("minimum", out var min);
        var hasXMin = schema.TryGetProperty("exclusiveMinimum", out var xmin);
        var hasMax = schema.TryGetProperty("maximum", out var max);
        return (hasMin, hasXMin, hasMax) switch
        {
            (true, _, true) => $"between {Number(min)} and {Number(max)}",
            (false, true, true) => $"above {Number(xmin)} and at most {Number(max)}",
            (true, _, false) => $"at least {Number(min)}",
            (false, true, false) => $"above {Number(xmin)}",
            (false, false, true) => $"at most {Number(max)}",
            _ => null,
        };
    }

    private static string Number(JsonElement n) => n.GetDouble().ToString("#,0.##", CultureInfo.InvariantCulture);

    private static string Between(JsonElement schema, string min, string max) =>
        $"{(schema.TryGetProperty(min, out var lo) ? lo.GetInt32() : 0)} to {(schema.TryGetProperty(max, out var hi) ? hi.GetInt32() : int.MaxValue)}";

    private static string? ProblemCharacter(string text, bool allowLineBreaks) => Catalyst.Contracts.TextInput.ProblemCharacter(text, allowLineBreaks);

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";

    private static List<string> AllowedTypes(JsonElement schema) =>
        !schema.TryGetProperty("type", out var type) ? []
        : type.ValueKind == JsonValueKind.String ? [type.GetString()!]
        : type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()!).ToList()
        : [];

    private static bool Matches(string type, JsonElement value) => type switch
    {
        "string" => value.ValueKind == JsonValueKind.String,
        "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _),
        "number" => value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var d) && double.IsFinite(d) && value.TryGetDecimal(out _),
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
