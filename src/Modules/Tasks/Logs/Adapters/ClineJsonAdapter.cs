using System.Text.Json;
using System.Text.Json.Nodes;

namespace Catalyst.Tasks.Logs.Adapters;

/// <summary>
/// Cline's <c>--json</c>: lines with <c>ts</c> and <c>type</c>: <c>hook_event</c>, <c>agent_event</c> (tool and text
/// content, usage, errors, done) and a final <c>run_result</c> with the run's aggregate usage.
/// </summary>
public sealed class ClineJsonAdapter : JsonLinesOutputAdapter
{
    public override string Format => "cline-json";

    private static readonly Dictionary<string, string> FileTools = new()
    {
        ["write_to_file"] = "write", ["replace_in_file"] = "edit", ["editor"] = "edit", ["apply_patch"] = "edit",
    };

    protected override bool Read(Reading r, JsonElement e)
    {
        switch (Str(e, "type"))
        {
            case "hook_event":
                r.System($"Cline {Str(e, "hookEventName")?.Replace('_', ' ')}");
                return true;
            case "agent_event" when Obj(e, "event") is { } ev:
                Event(r, ev);
                return true;
            case "run_result":
                var finish = Str(e, "finishReason");
                if (finish is not ("completed" or null)) r.Error(Str(e, "text") ?? $"Cline stopped: {finish}", new JsonObject { ["finish_reason"] = finish });
                var usage = Obj(e, "aggregateUsage") ?? Obj(e, "usage");
                r.Usage(Long(usage, "inputTokens") + Long(usage, "cacheReadTokens") + Long(usage, "cacheWriteTokens"), Long(usage, "outputTokens"),
                    Dec(usage, "totalCost") is { } cost and > 0 ? cost : null,
                    new JsonObject { ["cache_read_input_tokens"] = Long(usage, "cacheReadTokens"), ["iterations"] = Long(e, "iterations") });
                return true;
            case "run_aborted":
                r.Add(TaskLogLevel.Warn, TaskLogKinds.System, $"Cline aborted: {Str(e, "message") ?? Str(e, "reason")}");
                return true;
            case "error":
                r.Error(Str(e, "message"));
                return true;
            default:
                return false;
        }
    }

    private static void Event(Reading r, JsonElement ev)
    {
        var content = Str(ev, "contentType");
        switch (Str(ev, "type"))
        {
            case "content_start" when content == "tool":
                var tool = Str(ev, "toolName") ?? "tool";
                var input = Obj(ev, "input");
                r.ToolCall(tool, input, Str(ev, "toolCallId"));
                if (FileTools.TryGetValue(tool, out var change) && input is { } i && (Str(i, "path") ?? Str(i, "file_path")) is { } path)
                    r.FileChange(change, path, tool);
                break;
            case "content_end" when content == "tool":
                var results = Items(Obj(ev, "output")).ToList();
                var text = results.Count == 0 ? Str(ev, "output") ?? Str(ev, "error")
                    : string.Join("\n", results.Select(o => Str(o, "result") ?? Str(o, "error") ?? ""));
                r.ToolResult(text, Str(ev, "error") is not null || results.Any(o => o.TryGetProperty("success", out var s) && s.ValueKind == JsonValueKind.False),
                    Str(ev, "toolName"), Str(ev, "toolCallId"));
                break;
            case "content_end" when content == "text":
                r.Message(Str(ev, "text"));
                break;
            case "content_end" when content is "reasoning" or "thinking":
                r.Message(Str(ev, "text") ?? Str(ev, "reasoning"), TaskLogLevel.Debug);
                break;
            case "error":
                var error = Obj(ev, "error");
                r.Error(error is { } err ? Str(err, "message") : Str(ev, "message"),
                    new JsonObject { ["error_class"] = Str(ev, "errorClass"), ["recoverable"] = Bool(ev, "recoverable") });
                break;
            case "done":
                r.System($"Cline done: {Str(ev, "reason")}");
                break;
            case "iteration_start":
                r.System($"Cline iteration {Long(ev, "iteration")}");
                break;
            default:
                break; // streamed chunks, per-call usage (the run_result carries the totals), iteration ends
        }
    }
}
