using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Catalyst.Contracts;

namespace Catalyst.Tasks.Logs.Adapters;

/// <summary>
/// The common part of reading a CLI's JSON-lines stdout: a line that is not a JSON object, or an event the adapter does
/// not know, passes through as plain text; the rest becomes entries with short messages and JSON metadata.
/// </summary>
public abstract class JsonLinesOutputAdapter : IAgentOutputAdapter
{
    public abstract string Format { get; }

    /// <summary>A log message is kept whole up to this many characters (a long tool output is cut in the middle).</summary>
    public const int MaxMessageLength = 256 * 1024;

    public IEnumerable<NewLogEntry> Read(OutputLine line)
    {
        var text = line.Text;
        var trimmed = text.TrimStart();
        if (trimmed.Length == 0) return [];
        if (!trimmed.StartsWith('{')) return [PlainText(line)];
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(trimmed);
        }
        catch (JsonException)
        {
            return [PlainText(line)];
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object) return [PlainText(line)];
            var entries = new List<NewLogEntry>();
            var known = Read(new Reading(line.At, entries), document.RootElement);
            return known ? entries : [PlainText(line)];
        }
    }

    /// <summary>Adds the entries for one event; false when the event is not one this adapter knows.</summary>
    protected abstract bool Read(Reading reading, JsonElement e);

    private static NewLogEntry PlainText(OutputLine line) => new(line.At, TaskLogLevel.Info, TaskLogKinds.Stdout, Clip(line.Text));

    /// <summary>Where one line's entries go, with the line's time.</summary>
    protected sealed class Reading(DateTimeOffset at, List<NewLogEntry> entries)
    {
        public void Add(TaskLogLevel level, string kind, string message, JsonObject? metadata = null) =>
            entries.Add(new NewLogEntry(at, level, kind, Clip(message), metadata?.ToJsonString(MetadataJson)));

        public void Message(string? text, TaskLogLevel level = TaskLogLevel.Info)
        {
            if (!string.IsNullOrWhiteSpace(text)) Add(level, TaskLogKinds.AgentMessage, text.Trim());
        }

        public void System(string message, TaskLogLevel level = TaskLogLevel.Debug, JsonObject? metadata = null) =>
            Add(level, TaskLogKinds.System, message, metadata);

        public void Error(string? message, JsonObject? metadata = null) =>
            Add(TaskLogLevel.Error, TaskLogKinds.System, string.IsNullOrWhiteSpace(message) ? "The agent reported an error." : message.Trim(), metadata);

        public void ToolCall(string tool, JsonElement? input, string? id = null)
        {
            var metadata = new JsonObject { ["tool"] = tool };
            if (id is not null) metadata["id"] = id;
            if (input is { } i) metadata["input"] = Truncated(i);
            Add(TaskLogLevel.Info, TaskLogKinds.ToolCall, input is { } args ? $"{tool}: {Summary(args)}" : tool, metadata);
        }

        public void ToolResult(string? output, bool failed, string? tool = null, string? id = null, JsonObject? extra = null)
        {
            var metadata = extra ?? new JsonObject();
            if (tool is not null) metadata["tool"] = tool;
            if (id is not null) metadata["id"] = id;
            metadata["is_error"] = failed;
            var text = string.IsNullOrEmpty(output) ? "(no output)" : output.TrimEnd('\n', '\r');
            Add(failed ? TaskLogLevel.Warn : TaskLogLevel.Info, TaskLogKinds.ToolResult, text, metadata);
        }

        public void FileChange(string change, string path, string? tool = null)
        {
            var metadata = new JsonObject { ["path"] = path, ["change"] = change };
            if (tool is not null) metadata["tool"] = tool;
            Add(TaskLogLevel.Info, TaskLogKinds.FileChange, $"{char.ToUpperInvariant(change[0])}{change[1..]} {path}", metadata);
        }

        /// <summary>Tokens spent since the previous usage entry of this task (entries add up to the task's total).</summary>
        public void Usage(long input, long output, decimal? cost, JsonObject? extra = null)
        {
            if (input == 0 && output == 0 && cost is null or 0) return;
            Add(TaskLogLevel.Info, TaskLogKinds.Usage, UsageMetadata.Describe(input, output, cost), UsageMetadata.Create(input, output, cost, extra));
        }
    }

    private static readonly JsonSerializerOptions MetadataJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Clip(string text)
    {
        if (text.Length <= MaxMessageLength) return text;
        var half = MaxMessageLength / 2;
        return $"{text[..half]}\n… ({text.Length - MaxMessageLength} characters left out) …\n{text[^half..]}";
    }

    /// <summary>A tool's arguments in one line: the command of a shell tool, else the arguments' values.</summary>
    public static string Summary(JsonElement input)
    {
        string result;
        if (input.ValueKind == JsonValueKind.Object)
        {
            foreach (var name in (string[])["command", "cmd", "commands", "file_path", "filePath", "path", "pattern", "url", "query"])
            {
                if (input.TryGetProperty(name, out var value))
                {
                    result = value.ValueKind switch
                    {
                        JsonValueKind.String => value.GetString()!,
                        JsonValueKind.Array => string.Join(" && ", value.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText())),
                        _ => value.GetRawText(),
                    };
                    return OneLine(result);
                }
            }
        }
        return OneLine(input.ValueKind == JsonValueKind.String ? input.GetString()! : input.GetRawText());
    }

    private static string OneLine(string text)
    {
        var flat = text.ReplaceLineEndings(" ⏎ ");
        return flat.Length <= 500 ? flat : flat[..500] + "…";
    }

    private static JsonNode? Truncated(JsonElement input)
    {
        var raw = input.GetRawText();
        return raw.Length <= 8 * 1024 ? JsonNode.Parse(raw) : JsonValue.Create(raw[..(8 * 1024)] + "…");
    }

    // ---- Reading JSON leniently ----

    protected static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Null or JsonValueKind.Undefined => null,
            _ => v.GetRawText(),
        } : null;

    protected static JsonElement? Obj(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.Object or JsonValueKind.Array ? v : null;

    protected static long Long(JsonElement? e, string name) =>
        e is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetDecimal(out var d) ? (long)d : 0;

    protected static decimal? Dec(JsonElement? e, string name) =>
        e is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetDecimal(out var d) ? d : null;

    protected static bool Bool(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;

    protected static IEnumerable<JsonElement> Items(JsonElement? e) =>
        e is { ValueKind: JsonValueKind.Array } a ? a.EnumerateArray() : [];

    /// <summary>Text of a tool result's content: a string, or the text parts of an array of blocks.</summary>
    protected static string? ContentText(JsonElement? content)
    {
        if (content is not { } c) return null;
        if (c.ValueKind == JsonValueKind.String) return c.GetString();
        if (c.ValueKind != JsonValueKind.Array) return c.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined ? null : c.GetRawText();
        var text = new StringBuilder();
        foreach (var block in c.EnumerateArray())
        {
            var part = block.ValueKind == JsonValueKind.String ? block.GetString() : Str(block, "text");
            if (part is null) continue;
            if (text.Length > 0) text.Append('\n');
            text.Append(part);
        }
        return text.ToString();
    }

    protected static string? ContentText(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) ? ContentText(v) : null;
}
