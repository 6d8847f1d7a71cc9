using System.Text.Json;
using System.Text.Json.Nodes;

namespace Catalyst.Tasks.Logs.Adapters;

/// <summary>
/// Claude Code's <c>--output-format stream-json --verbose</c>: <c>system</c>, <c>assistant</c> (text and tool_use blocks),
/// <c>user</c> (tool_result blocks) and a final <c>result</c> with the run's usage and cost. A failed run may still say
/// <c>subtype: "success"</c>: <c>is_error</c> is what tells.
/// </summary>
public class ClaudeStreamJsonAdapter : JsonLinesOutputAdapter
{
    public override string Format => "claude-stream-json";

    protected virtual string Name => "Claude Code";

    /// <summary>Tools that write files, and the argument naming the file.</summary>
    protected virtual IReadOnlyDictionary<string, (string Change, string PathArgument)> FileTools { get; } = new Dictionary<string, (string, string)>
    {
        ["Write"] = ("write", "file_path"),
        ["Edit"] = ("edit", "file_path"),
        ["MultiEdit"] = ("edit", "file_path"),
        ["NotebookEdit"] = ("edit", "notebook_path"),
    };

    protected override bool Read(Reading r, JsonElement e)
    {
        switch (Str(e, "type"))
        {
            case "system":
                var subtype = Str(e, "subtype");
                if (subtype == "init")
                    r.System($"{Name} {Str(e, "claude_code_version") ?? Str(e, "qwen_code_version") ?? ""} started: model {Str(e, "model")}, permission mode {Str(e, "permissionMode") ?? Str(e, "permission_mode")}".Replace("  ", " "),
                        metadata: new JsonObject { ["session_id"] = Str(e, "session_id"), ["model"] = Str(e, "model"), ["cwd"] = Str(e, "cwd") });
                else
                    r.System($"{Name}: {subtype ?? "system event"}");
                return true;

            case "assistant":
                var message = Obj(e, "message");
                var failed = Bool(e, "is_api_error_message") || Str(e, "error") is not null;
                foreach (var block in Items(message is { } m ? Obj(m, "content") : null))
                {
                    switch (Str(block, "type"))
                    {
                        case "text":
                            if (failed) r.Error(Str(block, "text"), new JsonObject { ["error"] = Str(e, "error"), ["api_error"] = Str(e, "api_error") });
                            else r.Message(Str(block, "text"));
                            break;
                        case "thinking":
                            r.Message(Str(block, "thinking"), TaskLogLevel.Debug);
                            break;
                        case "tool_use":
                            var tool = Str(block, "name") ?? "tool";
                            var input = Obj(block, "input");
                            r.ToolCall(tool, input, Str(block, "id"));
                            if (FileTools.TryGetValue(tool, out var file) && input is { } i && Str(i, file.PathArgument) is { } path)
                                r.FileChange(file.Change, path, tool);
                            break;
                    }
                }
                return true;

            case "user":
                var results = Items(Obj(e, "message") is { } user ? Obj(user, "content") : null).Where(b => Str(b, "type") == "tool_result").ToList();
                // A shell's own output, whole, even where the model got a preview of a large one.
                var shell = results.Count == 1 && Obj(e, "tool_use_result") is { } ran && Str(ran, "stdout") is { } stdout
                    ? string.IsNullOrEmpty(Str(ran, "stderr")) ? stdout : $"{stdout}\n{Str(ran, "stderr")}"
                    : null;
                foreach (var block in results)
                    r.ToolResult(shell ?? ContentText(block, "content"), Bool(block, "is_error"), id: Str(block, "tool_use_id"));
                return true;

            case "result":
                if (Bool(e, "is_error") || Str(e, "subtype") is { } s && s.StartsWith("error", StringComparison.Ordinal))
                    r.Error(Str(e, "result") ?? (Obj(e, "error") is { } err ? Str(err, "message") : null) ?? $"{Name} ended with {Str(e, "subtype")}.",
                        new JsonObject { ["subtype"] = Str(e, "subtype"), ["api_error_status"] = Str(e, "api_error_status") });
                var usage = Obj(e, "usage");
                var cached = Long(usage, "cache_creation_input_tokens") + Long(usage, "cache_read_input_tokens");
                r.Usage(Long(usage, "input_tokens") + cached, Long(usage, "output_tokens"), Dec(e, "total_cost_usd"),
                    new JsonObject
                    {
                        ["cache_read_input_tokens"] = Long(usage, "cache_read_input_tokens"),
                        ["cache_creation_input_tokens"] = Long(usage, "cache_creation_input_tokens"),
                        ["num_turns"] = Long(e, "num_turns"),
                        ["duration_ms"] = Long(e, "duration_ms"),
                    });
                return true;

            case "stream_event":
                return true; // partial deltas (--include-partial-messages): the whole message follows as "assistant"

            default:
                return false;
        }
    }
}

/// <summary>Qwen Code's <c>--output-format stream-json</c>: Claude Code's event shapes, its own tool names.</summary>
public sealed class QwenStreamJsonAdapter : ClaudeStreamJsonAdapter
{
    public override string Format => "qwen-stream-json";

    protected override string Name => "Qwen Code";

    protected override IReadOnlyDictionary<string, (string Change, string PathArgument)> FileTools { get; } = new Dictionary<string, (string, string)>
    {
        ["write_file"] = ("write", "file_path"),
        ["edit"] = ("edit", "file_path"),
        ["replace"] = ("edit", "file_path"),
        ["notebook_edit"] = ("edit", "notebook_path"),
    };
}
