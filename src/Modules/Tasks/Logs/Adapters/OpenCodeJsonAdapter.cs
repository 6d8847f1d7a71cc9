using System.Text.Json;
using System.Text.Json.Nodes;

namespace Catalyst.Tasks.Logs.Adapters;

/// <summary>
/// OpenCode's <c>run --format json</c>: <c>step_start</c>, <c>tool_use</c> (one line per finished tool call, with its
/// input and output), <c>text</c>, <c>step_finish</c> with that step's tokens and cost, and <c>error</c>.
/// </summary>
public sealed class OpenCodeJsonAdapter : JsonLinesOutputAdapter
{
    public override string Format => "opencode-json";

    private static readonly Dictionary<string, string> FileTools = new() { ["write"] = "write", ["edit"] = "edit", ["patch"] = "edit", ["multiedit"] = "edit" };

    protected override bool Read(Reading r, JsonElement e)
    {
        var part = Obj(e, "part");
        switch (Str(e, "type"))
        {
            case "step_start":
                r.System("OpenCode step started");
                return true;
            case "text" when part is { } p:
                r.Message(Str(p, "text"));
                return true;
            case "reasoning" when part is { } p:
                r.Message(Str(p, "text"), TaskLogLevel.Debug);
                return true;
            case "tool_use" when part is { } p:
                var tool = Str(p, "tool") ?? "tool";
                var state = Obj(p, "state");
                var input = state is { } s ? Obj(s, "input") : null;
                r.ToolCall(tool, input, Str(p, "callID"));
                if (FileTools.TryGetValue(tool, out var change) && input is { } i && (Str(i, "filePath") ?? Str(i, "file_path")) is { } path)
                    r.FileChange(change, path, tool);
                var status = state is { } st ? Str(st, "status") : null;
                if (status is "completed" or "error")
                    r.ToolResult(state is { } done ? Str(done, "output") ?? Str(done, "error") : null, status == "error", tool, Str(p, "callID"));
                return true;
            case "step_finish" when part is { } p:
                var tokens = Obj(p, "tokens");
                var cache = tokens is { } t ? Obj(t, "cache") : null;
                r.Usage(Long(tokens, "input") + Long(cache, "read") + Long(cache, "write"), Long(tokens, "output") + Long(tokens, "reasoning"),
                    Dec(p, "cost") is { } cost and > 0 ? cost : null, new JsonObject { ["cache_read_input_tokens"] = Long(cache, "read") });
                return true;
            case "error":
                var error = Obj(e, "error");
                var data = error is { } err ? Obj(err, "data") : null;
                r.Error((data is { } d ? Str(d, "message") : null) ?? (error is { } x ? Str(x, "name") : null),
                    new JsonObject { ["status"] = data is { } dd ? Long(dd, "statusCode") : null });
                return true;
            default:
                return false;
        }
    }
}
