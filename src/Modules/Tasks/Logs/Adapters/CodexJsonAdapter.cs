using System.Text.Json;
using System.Text.Json.Nodes;

namespace Catalyst.Tasks.Logs.Adapters;

/// <summary>
/// Codex CLI's <c>exec --json</c>: <c>thread.started</c>, <c>turn.started</c>, <c>item.started</c>/<c>item.completed</c>
/// (command executions, agent messages, file changes, warnings as <c>error</c> items), <c>turn.completed</c> with the
/// turn's usage, <c>turn.failed</c> and top-level <c>error</c>.
/// </summary>
public sealed class CodexJsonAdapter : JsonLinesOutputAdapter
{
    public override string Format => "codex-json";

    protected override bool Read(Reading r, JsonElement e)
    {
        switch (Str(e, "type"))
        {
            case "thread.started":
                r.System($"Codex session {Str(e, "thread_id")} started", metadata: new JsonObject { ["thread_id"] = Str(e, "thread_id") });
                return true;
            case "turn.started":
                r.System("Codex turn started");
                return true;
            case "item.started" when Obj(e, "item") is { } item:
                Started(r, item);
                return true;
            case "item.updated":
                return true; // progress of an item whose completion follows
            case "item.completed" when Obj(e, "item") is { } item:
                Completed(r, item);
                return true;
            case "turn.completed":
                var usage = Obj(e, "usage");
                r.Usage(Long(usage, "input_tokens"), Long(usage, "output_tokens"), null, new JsonObject
                {
                    ["cached_input_tokens"] = Long(usage, "cached_input_tokens"),
                    ["reasoning_output_tokens"] = Long(usage, "reasoning_output_tokens"),
                });
                return true;
            case "turn.failed":
                r.Error(Obj(e, "error") is { } error ? Str(error, "message") : null);
                return true;
            case "error":
                r.Error(Str(e, "message"));
                return true;
            default:
                return false;
        }
    }

    private static void Started(Reading r, JsonElement item)
    {
        switch (Str(item, "type"))
        {
            case "command_execution":
                r.Add(TaskLogLevel.Info, TaskLogKinds.ToolCall, $"shell: {Str(item, "command")}",
                    new JsonObject { ["tool"] = "shell", ["id"] = Str(item, "id"), ["command"] = Str(item, "command") });
                break;
            case "mcp_tool_call":
                r.ToolCall($"{Str(item, "server")}.{Str(item, "tool")}", Obj(item, "arguments"), Str(item, "id"));
                break;
        }
    }

    private static void Completed(Reading r, JsonElement item)
    {
        var id = Str(item, "id");
        switch (Str(item, "type"))
        {
            case "agent_message":
                r.Message(Str(item, "text"));
                break;
            case "reasoning":
                r.Message(Str(item, "text"), TaskLogLevel.Debug);
                break;
            case "command_execution":
                var exit = item.TryGetProperty("exit_code", out var code) && code.ValueKind == JsonValueKind.Number ? code.GetInt32() : (int?)null;
                r.ToolResult(Str(item, "aggregated_output"), exit is not 0 || Str(item, "status") == "failed", "shell", id,
                    new JsonObject { ["exit_code"] = exit, ["command"] = Str(item, "command") });
                break;
            case "file_change":
                foreach (var change in Items(Obj(item, "changes")))
                    r.FileChange(Str(change, "kind") switch { "add" => "add", "delete" => "delete", _ => "edit" }, Str(change, "path") ?? "?", "apply_patch");
                break;
            case "mcp_tool_call":
                r.ToolResult(Obj(item, "result") is { } result ? ContentText(result, "content") ?? result.GetRawText() : Str(item, "error"),
                    Str(item, "status") == "failed", $"{Str(item, "server")}.{Str(item, "tool")}", id);
                break;
            case "web_search":
                r.Add(TaskLogLevel.Info, TaskLogKinds.ToolCall, $"web_search: {Str(item, "query")}", new JsonObject { ["tool"] = "web_search", ["id"] = id });
                break;
            case "todo_list":
                r.System("Plan: " + string.Join("; ", Items(Obj(item, "items")).Select(t => (Bool(t, "completed") ? "[x] " : "[ ] ") + Str(t, "text"))));
                break;
            case "error":
                // Codex reports warnings (an unknown model, a config problem) as error items; the run goes on.
                r.Add(TaskLogLevel.Warn, TaskLogKinds.System, Str(item, "message") ?? "Codex warning");
                break;
            default:
                r.System($"Codex {Str(item, "type")}");
                break;
        }
    }
}
