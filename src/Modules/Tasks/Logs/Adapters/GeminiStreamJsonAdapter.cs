using System.Text.Json;
using System.Text.Json.Nodes;

namespace Catalyst.Tasks.Logs.Adapters;

/// <summary>
/// Gemini CLI's <c>--output-format stream-json</c>: <c>init</c>, <c>message</c> (user and assistant, possibly in
/// deltas), <c>tool_use</c>, <c>tool_result</c>, <c>error</c> and a final <c>result</c> with the run's stats.
/// </summary>
public sealed class GeminiStreamJsonAdapter : JsonLinesOutputAdapter
{
    public override string Format => "gemini-stream-json";

    private static readonly Dictionary<string, string> FileTools = new() { ["write_file"] = "write", ["replace"] = "edit", ["edit"] = "edit" };

    protected override bool Read(Reading r, JsonElement e)
    {
        switch (Str(e, "type"))
        {
            case "init":
                r.System($"Gemini CLI started: model {Str(e, "model")}", metadata: new JsonObject { ["session_id"] = Str(e, "session_id"), ["model"] = Str(e, "model") });
                return true;
            case "message":
                if (Str(e, "role") == "assistant") r.Message(Str(e, "content"));
                else r.Message(Str(e, "content"), TaskLogLevel.Debug);
                return true;
            case "tool_use":
                var tool = Str(e, "tool_name") ?? "tool";
                var parameters = Obj(e, "parameters");
                r.ToolCall(tool, parameters, Str(e, "tool_id"));
                if (FileTools.TryGetValue(tool, out var change) && parameters is { } p && (Str(p, "file_path") ?? Str(p, "path")) is { } path)
                    r.FileChange(change, path, tool);
                return true;
            case "tool_result":
                var failed = Str(e, "status") is { } status && status != "success";
                r.ToolResult(Str(e, "output") ?? (Obj(e, "error") is { } err ? Str(err, "message") : null), failed, id: Str(e, "tool_id"));
                return true;
            case "error":
                var level = Str(e, "severity") == "warning" ? TaskLogLevel.Warn : TaskLogLevel.Error;
                r.Add(level, TaskLogKinds.System, Str(e, "message") ?? "Gemini CLI error");
                return true;
            case "result":
                if (Str(e, "status") is { } s && s != "success")
                    r.Error(Obj(e, "error") is { } error ? Str(error, "message") : $"Gemini CLI ended with {s}");
                var stats = Obj(e, "stats");
                r.Usage(Long(stats, "input_tokens"), Long(stats, "output_tokens"), null,
                    new JsonObject { ["cached_input_tokens"] = Long(stats, "cached"), ["tool_calls"] = Long(stats, "tool_calls") });
                return true;
            default:
                return false;
        }
    }
}
