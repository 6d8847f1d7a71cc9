using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Catalyst.Tests.Infrastructure;

/// <summary>
/// The model vendors' APIs on 127.0.0.1, as the agent CLIs use them: Anthropic Messages, OpenAI Responses and Chat
/// Completions (streaming), Gemini's streamGenerateContent, and the model lists. It plays one scenario, decided from
/// each request's content rather than from a counter (CLIs retry and make side requests): while the conversation has
/// no tool result, call the CLI's own shell tool to write <see cref="FileName"/> and commit it; after that, say
/// <see cref="FinalText"/>. <see cref="Mode"/> switches it to errors, silence or a very long tool output.
/// </summary>
public sealed class ScriptedModelServer : IAsyncDisposable
{
    public enum Scenario
    {
        /// <summary>Shell tool call that writes and commits a file, then a final message.</summary>
        WriteAndCommit,
        /// <summary>The same, with a command that first prints <see cref="LongOutputLines"/> lines.</summary>
        LongToolOutput,
        Unauthorized,
        RateLimited,
        ServerError,
        /// <summary>Accepts the request and never answers.</summary>
        NeverAnswer,
        /// <summary>
        /// A plan-first task: while the conversation asks for a plan and holds no approval, answer <see cref="PlanText"/>;
        /// once approved, <see cref="WriteAndCommit"/>.
        /// </summary>
        PlanThenWrite,
    }

    public sealed record RecordedRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, string Body, DateTimeOffset At)
    {
        public JsonNode? Json => Body.Length > 0 && Body.TrimStart().StartsWith('{') ? JsonNode.Parse(Body) : null;
    }

    public const int InputTokens = 1200;
    public const int OutputTokens = 85;
    public const string UnauthorizedMessage = "invalid x-api-key";
    public const string OpenAiUnauthorizedMessage = "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.";
    public const string RateLimitMessage = "Number of request tokens has exceeded your per-minute rate limit";
    public const string ServerErrorMessage = "Internal server error";
    public const string GeminiUnauthorizedMessage = "API key not valid. Please pass a valid API key.";
    public const string GeminiRateLimitMessage = "Resource has been exhausted (e.g. check quota).";
    public const string GeminiServerErrorMessage = "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting";

    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly CancellationTokenSource _stopping = new();
    private LoopbackServer _server = null!;
    private int _ids;

    public Scenario Mode { get; set; } = Scenario.WriteAndCommit;

    /// <summary>When set, a request carrying another key (or none) is answered 401, as the vendors do.</summary>
    public string? ApiKey { get; set; }

    public string FileName { get; set; } = "AGENT_NOTES.md";
    public string FileContent { get; set; } = "Notes written by the agent.";
    public string CommitMessage { get; set; } = "Add agent notes";
    public string FinalText { get; set; } = "I wrote AGENT_NOTES.md and committed it.";
    public int LongOutputLines { get; set; } = 5000;
    public string PlanText { get; set; } = "1. Write AGENT_NOTES.md with a line of notes. 2. Commit it as Add agent notes.";

    /// <summary>The body of the request being answered, for the scenarios decided on the conversation's words.</summary>
    private static readonly AsyncLocal<string?> CurrentBody = new();

    /// <summary>http://127.0.0.1:PORT (Anthropic and Gemini style base URL).</summary>
    public string BaseUrl => _server.Address.ToString().TrimEnd('/');

    /// <summary>http://127.0.0.1:PORT/v1 (OpenAI style base URL).</summary>
    public string OpenAiBaseUrl => BaseUrl + "/v1";

    public IReadOnlyList<RecordedRequest> Requests => _requests.ToArray();

    /// <summary>Requests that asked the model for an answer (not model lists or token counts).</summary>
    public IReadOnlyList<RecordedRequest> ModelCalls => _requests.Where(r => r.Method == "POST" && !r.Path.EndsWith("count_tokens", StringComparison.Ordinal)).ToArray();

    /// <summary>The shell command the scenario asks the agent to run.</summary>
    /// <summary>When set, the shell command the model asks for instead of writing and committing (a probe, say).</summary>
    public string? CommandOverride { get; set; }

    public string Command => CommandOverride ?? (Mode == Scenario.LongToolOutput
        ? $"seq -f 'output line %g' 1 {LongOutputLines} && {WriteAndCommitCommand}"
        : WriteAndCommitCommand);

    private string WriteAndCommitCommand =>
        $"printf '%s\\n' '{FileContent}' > {FileName} && git add {FileName} && git commit -q -m '{CommitMessage}' && echo committed";

    /// <summary>Starts on 127.0.0.1; inside <paramref name="network"/> when given, so that only agents run there reach it.</summary>
    public static async Task<ScriptedModelServer> StartAsync(Scenario mode = Scenario.WriteAndCommit, NetworkNamespace? network = null)
    {
        var server = new ScriptedModelServer { Mode = mode };
        server._server = await LoopbackServer.StartAsync(app => app.Run(server.HandleAsync), network);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _server.DisposeAsync();
        _stopping.Dispose();
    }

    // ---- Dispatch ----

    private async Task HandleAsync(HttpContext http)
    {
        var request = http.Request;
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var headers = request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
        _requests.Enqueue(new RecordedRequest(request.Method, request.Path.Value ?? "", request.QueryString.Value ?? "", headers, body, DateTimeOffset.UtcNow));
        CurrentBody.Value = body;

        var path = request.Path.Value ?? "";
        var api = path switch
        {
            _ when path.StartsWith("/v1beta/", StringComparison.Ordinal) || path.StartsWith("/v1/models/", StringComparison.Ordinal) && path.Contains(':') => Api.Gemini,
            _ when path.EndsWith("/messages", StringComparison.Ordinal) || path.EndsWith("/messages/count_tokens", StringComparison.Ordinal) => Api.Anthropic,
            _ when path.EndsWith("/responses", StringComparison.Ordinal) => Api.Responses,
            _ when path.EndsWith("/chat/completions", StringComparison.Ordinal) => Api.Chat,
            _ when headers.ContainsKey("anthropic-version") || headers.ContainsKey("x-api-key") => Api.Anthropic,
            _ => Api.Chat,
        };

        if (ApiKey is not null && KeyOf(http) != ApiKey) { await ErrorAsync(http, api, 401); return; }
        switch (Mode)
        {
            case Scenario.Unauthorized: await ErrorAsync(http, api, 401); return;
            case Scenario.RateLimited: await ErrorAsync(http, api, 429); return;
            case Scenario.ServerError: await ErrorAsync(http, api, 500); return;
            case Scenario.NeverAnswer when request.Method == "POST":
                try { await Task.Delay(Timeout.Infinite, CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, _stopping.Token).Token); }
                catch (OperationCanceledException) { }
                return;
        }

        if (request.Method == "GET" && path.EndsWith("/models", StringComparison.Ordinal)) { await ModelsAsync(http, api); return; }
        if (path.EndsWith("/count_tokens", StringComparison.Ordinal)) { await http.Response.WriteAsJsonAsync(new { input_tokens = InputTokens }); return; }
        if (request.Method != "POST")
        {
            http.Response.StatusCode = 404;
            await http.Response.WriteAsJsonAsync(new { error = new { message = $"No route for {request.Method} {path}", type = "not_found_error" } });
            return;
        }

        var json = JsonNode.Parse(body.Length == 0 ? "{}" : body) ?? new JsonObject();
        switch (api)
        {
            case Api.Anthropic: await AnthropicAsync(http, json); break;
            case Api.Responses: await ResponsesAsync(http, json); break;
            case Api.Gemini: await GeminiAsync(http, json, path); break;
            default: await ChatAsync(http, json); break;
        }
    }

    private enum Api { Anthropic, Responses, Chat, Gemini }

    private static string? KeyOf(HttpContext http)
    {
        var h = http.Request.Headers;
        if (h.TryGetValue("x-api-key", out var anthropic)) return anthropic.ToString();
        if (h.TryGetValue("x-goog-api-key", out var google)) return google.ToString();
        var auth = h.Authorization.ToString();
        if (auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return auth[7..];
        return http.Request.Query.TryGetValue("key", out var q) ? q.ToString() : null;
    }

    // ---- What to answer ----

    private abstract record Turn;
    private sealed record ToolTurn(string CallId, string Tool, JsonObject Arguments) : Turn;
    private sealed record TextTurn(string Text) : Turn;

    /// <summary>The shell tool among those offered, and its arguments for <paramref name="command"/>.</summary>
    private static (string Name, JsonObject Arguments)? ShellTool(IEnumerable<string> offered, string command)
    {
        var names = offered.ToHashSet(StringComparer.Ordinal);
        if (names.Contains("Bash")) return ("Bash", new JsonObject { ["command"] = command, ["description"] = "Write the notes file and commit it" });
        if (names.Contains("exec_command")) return ("exec_command", new JsonObject { ["cmd"] = command });
        if (names.Contains("run_commands")) return ("run_commands", new JsonObject { ["commands"] = new JsonArray(command) });
        if (names.Contains("run_shell_command")) return ("run_shell_command", new JsonObject { ["command"] = command, ["description"] = "Write the notes file and commit it" });
        if (names.Contains("execute_command")) return ("execute_command", new JsonObject { ["command"] = command, ["requires_approval"] = false });
        if (names.Contains("bash")) return ("bash", new JsonObject { ["command"] = command, ["description"] = "Write the notes file and commit it" });
        if (names.Contains("shell")) return ("shell", new JsonObject { ["command"] = new JsonArray("bash", "-lc", command) });
        return null;
    }

    private Turn Decide(bool hasToolResult, IEnumerable<string> offeredTools)
    {
        if (Mode == Scenario.PlanThenWrite && CurrentBody.Value is { } body
            && body.Contains("Plan first.", StringComparison.Ordinal) && !body.Contains("The plan is approved", StringComparison.Ordinal))
            return new TextTurn(PlanText);
        if (hasToolResult) return new TextTurn(FinalText);
        var tool = ShellTool(offeredTools, Command);
        // A side request (a title, a summary) offers no tool: a short text answers it.
        return tool is { } t ? new ToolTurn($"call_{Interlocked.Increment(ref _ids):D4}{Guid.NewGuid():N}"[..24], t.Name, t.Arguments) : new TextTurn("Notes file");
    }

    private static IEnumerable<string> ToolNames(JsonNode json, Func<JsonNode, string?> name) =>
        (json["tools"] as JsonArray ?? []).Where(t => t is not null).Select(t => name(t!)).OfType<string>();

    // ---- Anthropic Messages ----

    private async Task AnthropicAsync(HttpContext http, JsonNode json)
    {
        var hasToolResult = (json["messages"] as JsonArray ?? []).Any(m => m?["content"] is JsonArray blocks
            && blocks.Any(b => (string?)b?["type"] == "tool_result"));
        var turn = Decide(hasToolResult, ToolNames(json, t => (string?)t["name"]));
        var model = (string?)json["model"] ?? "claude-sonnet-4-5";
        var id = $"msg_{Guid.NewGuid():N}";
        var stopReason = turn is ToolTurn ? "tool_use" : "end_turn";
        JsonObject block = turn switch
        {
            ToolTurn t => new JsonObject { ["type"] = "tool_use", ["id"] = "toolu_" + t.CallId[5..], ["name"] = t.Tool, ["input"] = t.Arguments.DeepClone() },
            TextTurn t => new JsonObject { ["type"] = "text", ["text"] = t.Text },
            _ => throw new InvalidOperationException(),
        };
        var usage = new JsonObject { ["input_tokens"] = InputTokens, ["cache_creation_input_tokens"] = 0, ["cache_read_input_tokens"] = 0, ["output_tokens"] = OutputTokens };

        if (json["stream"]?.GetValue<bool>() != true)
        {
            await WriteJsonAsync(http, new JsonObject
            {
                ["id"] = id, ["type"] = "message", ["role"] = "assistant", ["model"] = model, ["content"] = new JsonArray(block),
                ["stop_reason"] = stopReason, ["stop_sequence"] = null, ["usage"] = usage,
            });
            return;
        }

        var sse = await StartSseAsync(http);
        await sse("message_start", new JsonObject
        {
            ["type"] = "message_start",
            ["message"] = new JsonObject
            {
                ["id"] = id, ["type"] = "message", ["role"] = "assistant", ["model"] = model, ["content"] = new JsonArray(),
                ["stop_reason"] = null, ["stop_sequence"] = null,
                ["usage"] = new JsonObject { ["input_tokens"] = InputTokens, ["cache_creation_input_tokens"] = 0, ["cache_read_input_tokens"] = 0, ["output_tokens"] = 1 },
            },
        });
        await sse("ping", new JsonObject { ["type"] = "ping" });
        if (turn is ToolTurn tool)
        {
            var start = (JsonObject)block.DeepClone();
            start["input"] = new JsonObject();
            await sse("content_block_start", new JsonObject { ["type"] = "content_block_start", ["index"] = 0, ["content_block"] = start });
            await sse("content_block_delta", new JsonObject
            {
                ["type"] = "content_block_delta", ["index"] = 0,
                ["delta"] = new JsonObject { ["type"] = "input_json_delta", ["partial_json"] = tool.Arguments.ToJsonString() },
            });
        }
        else
        {
            await sse("content_block_start", new JsonObject
            {
                ["type"] = "content_block_start", ["index"] = 0, ["content_block"] = new JsonObject { ["type"] = "text", ["text"] = "" },
            });
            await sse("content_block_delta", new JsonObject
            {
                ["type"] = "content_block_delta", ["index"] = 0,
                ["delta"] = new JsonObject { ["type"] = "text_delta", ["text"] = ((TextTurn)turn).Text },
            });
        }
        await sse("content_block_stop", new JsonObject { ["type"] = "content_block_stop", ["index"] = 0 });
        await sse("message_delta", new JsonObject
        {
            ["type"] = "message_delta",
            ["delta"] = new JsonObject { ["stop_reason"] = stopReason, ["stop_sequence"] = null },
            ["usage"] = new JsonObject { ["input_tokens"] = InputTokens, ["output_tokens"] = OutputTokens },
        });
        await sse("message_stop", new JsonObject { ["type"] = "message_stop" });
    }

    // ---- OpenAI Responses ----

    private async Task ResponsesAsync(HttpContext http, JsonNode json)
    {
        var hasToolResult = (json["input"] as JsonArray ?? []).Any(i => (string?)i?["type"] is "function_call_output" or "custom_tool_call_output");
        var turn = Decide(hasToolResult, ToolNames(json, t => (string?)t["name"] ?? (string?)t["function"]?["name"]));
        var model = (string?)json["model"] ?? "gpt-5.5";
        var responseId = $"resp_{Guid.NewGuid():N}";
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        JsonObject Item(bool done) => turn switch
        {
            ToolTurn t => new JsonObject
            {
                ["type"] = "function_call", ["id"] = "fc_" + t.CallId[5..], ["call_id"] = t.CallId, ["name"] = t.Tool,
                ["arguments"] = done ? t.Arguments.ToJsonString() : "", ["status"] = done ? "completed" : "in_progress",
            },
            TextTurn t => new JsonObject
            {
                ["type"] = "message", ["id"] = $"msg_{responseId[5..]}", ["role"] = "assistant", ["status"] = done ? "completed" : "in_progress",
                ["content"] = done ? new JsonArray(new JsonObject { ["type"] = "output_text", ["text"] = t.Text, ["annotations"] = new JsonArray() }) : new JsonArray(),
            },
            _ => throw new InvalidOperationException(),
        };
        JsonObject Response(string status, JsonArray output, JsonObject? usage) => new()
        {
            ["id"] = responseId, ["object"] = "response", ["created_at"] = created, ["status"] = status, ["model"] = model,
            ["output"] = output, ["usage"] = usage,
        };
        var usage = new JsonObject
        {
            ["input_tokens"] = InputTokens, ["input_tokens_details"] = new JsonObject { ["cached_tokens"] = 0 },
            ["output_tokens"] = OutputTokens, ["output_tokens_details"] = new JsonObject { ["reasoning_tokens"] = 0 },
            ["total_tokens"] = InputTokens + OutputTokens,
        };

        if (json["stream"]?.GetValue<bool>() != true)
        {
            await WriteJsonAsync(http, Response("completed", new JsonArray(Item(true)), usage));
            return;
        }
        var sse = await StartSseAsync(http);
        var n = 0;
        await sse("response.created", new JsonObject { ["type"] = "response.created", ["sequence_number"] = n++, ["response"] = Response("in_progress", [], null) });
        await sse("response.output_item.added", new JsonObject { ["type"] = "response.output_item.added", ["sequence_number"] = n++, ["output_index"] = 0, ["item"] = Item(false) });
        await sse("response.output_item.done", new JsonObject { ["type"] = "response.output_item.done", ["sequence_number"] = n++, ["output_index"] = 0, ["item"] = Item(true) });
        await sse("response.completed", new JsonObject { ["type"] = "response.completed", ["sequence_number"] = n, ["response"] = Response("completed", new JsonArray(Item(true)), usage) });
    }

    // ---- OpenAI Chat Completions ----

    private async Task ChatAsync(HttpContext http, JsonNode json)
    {
        var messages = json["messages"] as JsonArray ?? [];
        var hasToolResult = messages.Any(m => (string?)m?["role"] == "tool");
        var turn = Decide(hasToolResult, ToolNames(json, t => (string?)t["function"]?["name"] ?? (string?)t["name"]));
        // Aider offers no tools: it asks for its edits as SEARCH/REPLACE blocks in the answer's text.
        if (json["tools"] is null && messages.Any(m => m?["content"] is JsonValue v && v.ToString().Contains("SEARCH/REPLACE", StringComparison.Ordinal)))
            turn = new TextTurn($"I'll add the notes file.\n\n{FileName}\n```\n<<<<<<< SEARCH\n=======\n{FileContent}\n>>>>>>> REPLACE\n```");
        var model = (string?)json["model"] ?? "gpt-4.1";
        var id = $"chatcmpl-{Guid.NewGuid():N}";
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var usage = new JsonObject { ["prompt_tokens"] = InputTokens, ["completion_tokens"] = OutputTokens, ["total_tokens"] = InputTokens + OutputTokens };
        JsonObject Chunk(JsonArray choices, JsonObject? chunkUsage = null)
        {
            var chunk = new JsonObject { ["id"] = id, ["object"] = "chat.completion.chunk", ["created"] = created, ["model"] = model, ["choices"] = choices };
            if (chunkUsage is not null) chunk["usage"] = chunkUsage;
            return chunk;
        }
        JsonObject ToolCall(ToolTurn t) => new()
        {
            ["index"] = 0, ["id"] = t.CallId, ["type"] = "function",
            ["function"] = new JsonObject { ["name"] = t.Tool, ["arguments"] = t.Arguments.ToJsonString() },
        };
        var finish = turn is ToolTurn ? "tool_calls" : "stop";

        if (json["stream"]?.GetValue<bool>() != true)
        {
            var message = turn is ToolTurn tt
                ? new JsonObject { ["role"] = "assistant", ["content"] = null, ["tool_calls"] = new JsonArray(ToolCall(tt)) }
                : new JsonObject { ["role"] = "assistant", ["content"] = ((TextTurn)turn).Text };
            await WriteJsonAsync(http, new JsonObject
            {
                ["id"] = id, ["object"] = "chat.completion", ["created"] = created, ["model"] = model,
                ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["message"] = message, ["finish_reason"] = finish }), ["usage"] = usage,
            });
            return;
        }
        var sse = await StartSseAsync(http);
        await sse(null, Chunk(new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = new JsonObject { ["role"] = "assistant", ["content"] = "" }, ["finish_reason"] = null })));
        var delta = turn is ToolTurn tool
            ? new JsonObject { ["tool_calls"] = new JsonArray(ToolCall(tool)) }
            : new JsonObject { ["content"] = ((TextTurn)turn).Text };
        await sse(null, Chunk(new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = null })));
        await sse(null, Chunk(new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = new JsonObject(), ["finish_reason"] = finish })));
        await sse(null, Chunk([], usage));
        await http.Response.WriteAsync("data: [DONE]\n\n");
        await http.Response.Body.FlushAsync();
    }

    // ---- Gemini ----

    private async Task GeminiAsync(HttpContext http, JsonNode json, string path)
    {
        var model = path[(path.LastIndexOf('/') + 1)..].Split(':')[0];
        if (path.EndsWith(":countTokens", StringComparison.Ordinal)) { await WriteJsonAsync(http, new JsonObject { ["totalTokens"] = InputTokens }); return; }

        JsonObject part;
        var wantsJson = (string?)json["generationConfig"]?["responseMimeType"] == "application/json";
        if (wantsJson)
        {
            // The CLI's own checks (who speaks next, loop detection) ask for JSON: the user speaks next, no loop.
            part = new JsonObject { ["text"] = """{"reasoning":"The task is done.","next_speaker":"user"}""" };
        }
        else
        {
            var hasToolResult = (json["contents"] as JsonArray ?? []).Any(c => c?["parts"] is JsonArray parts && parts.Any(p => p?["functionResponse"] is not null));
            var declared = (json["tools"] as JsonArray ?? []).SelectMany(t => t?["functionDeclarations"] as JsonArray ?? []).Select(d => (string?)d?["name"]).OfType<string>();
            part = Decide(hasToolResult, declared) switch
            {
                ToolTurn t => new JsonObject { ["functionCall"] = new JsonObject { ["name"] = t.Tool, ["args"] = t.Arguments.DeepClone() } },
                TextTurn t => new JsonObject { ["text"] = t.Text },
                _ => throw new InvalidOperationException(),
            };
        }
        var answer = new JsonObject
        {
            ["candidates"] = new JsonArray(new JsonObject
            {
                ["content"] = new JsonObject { ["role"] = "model", ["parts"] = new JsonArray(part) }, ["finishReason"] = "STOP", ["index"] = 0,
            }),
            ["usageMetadata"] = new JsonObject { ["promptTokenCount"] = InputTokens, ["candidatesTokenCount"] = OutputTokens, ["totalTokenCount"] = InputTokens + OutputTokens },
            ["modelVersion"] = model,
        };
        if (!path.Contains(":streamGenerateContent", StringComparison.Ordinal)) { await WriteJsonAsync(http, answer); return; }
        var sse = await StartSseAsync(http);
        await sse(null, answer);
    }

    // ---- Model lists, errors, wire helpers ----

    private static Task ModelsAsync(HttpContext http, Api api) => api == Api.Gemini
        ? WriteJsonAsync(http, new JsonObject
        {
            ["models"] = new JsonArray(
                new JsonObject { ["name"] = "models/gemini-2.5-pro", ["displayName"] = "Gemini 2.5 Pro", ["supportedGenerationMethods"] = new JsonArray("generateContent", "countTokens") },
                new JsonObject { ["name"] = "models/gemini-2.5-flash", ["displayName"] = "Gemini 2.5 Flash", ["supportedGenerationMethods"] = new JsonArray("generateContent", "countTokens") }),
        })
        : api == Api.Anthropic
        ? WriteJsonAsync(http, new JsonObject
        {
            ["data"] = new JsonArray(new JsonObject { ["type"] = "model", ["id"] = "claude-sonnet-4-5", ["display_name"] = "Claude Sonnet 4.5", ["created_at"] = "2025-09-29T00:00:00Z" }),
            ["has_more"] = false, ["first_id"] = "claude-sonnet-4-5", ["last_id"] = "claude-sonnet-4-5",
        })
        : WriteJsonAsync(http, new JsonObject
        {
            ["object"] = "list",
            ["data"] = new JsonArray(
                new JsonObject { ["id"] = "gpt-5.5", ["object"] = "model", ["created"] = 1_760_000_000, ["owned_by"] = "openai" },
                new JsonObject { ["id"] = "gpt-4.1", ["object"] = "model", ["created"] = 1_740_000_000, ["owned_by"] = "openai" }),
        });

    private static JsonObject ErrorBody(Api api, int status)
    {
        var (anthropicType, openAiType, code, message) = status switch
        {
            401 => ("authentication_error", "invalid_request_error", "invalid_api_key", api == Api.Anthropic ? UnauthorizedMessage : OpenAiUnauthorizedMessage),
            429 => ("rate_limit_error", "requests", "rate_limit_exceeded", RateLimitMessage),
            _ => ("api_error", "server_error", "server_error", ServerErrorMessage),
        };
        return api switch
        {
            Api.Anthropic => new JsonObject
            {
                ["type"] = "error", ["error"] = new JsonObject { ["type"] = anthropicType, ["message"] = message },
                ["request_id"] = $"req_{Guid.NewGuid():N}",
            },
            // Google answers a wrong key with 400 INVALID_ARGUMENT and the reason in the details (see ErrorAsync).
            Api.Gemini => new JsonObject
            {
                ["error"] = new JsonObject
                {
                    ["code"] = status == 401 ? 400 : status,
                    ["message"] = status switch { 401 => GeminiUnauthorizedMessage, 429 => GeminiRateLimitMessage, _ => GeminiServerErrorMessage },
                    ["status"] = status switch { 401 => "INVALID_ARGUMENT", 429 => "RESOURCE_EXHAUSTED", _ => "INTERNAL" },
                    ["details"] = status == 401
                        ? new JsonArray(new JsonObject
                        {
                            ["@type"] = "type.googleapis.com/google.rpc.ErrorInfo", ["reason"] = "API_KEY_INVALID", ["domain"] = "googleapis.com",
                            ["metadata"] = new JsonObject { ["service"] = "generativelanguage.googleapis.com" },
                        })
                        : new JsonArray(),
                },
            },
            _ => new JsonObject { ["error"] = new JsonObject { ["message"] = message, ["type"] = openAiType, ["param"] = null, ["code"] = code } },
        };
    }

    private static async Task ErrorAsync(HttpContext http, Api api, int status)
    {
        http.Response.StatusCode = api == Api.Gemini && status == 401 ? 400 : status;
        if (status == 429) http.Response.Headers["retry-after"] = "60";
        if (api == Api.Anthropic) http.Response.Headers["request-id"] = $"req_{Guid.NewGuid():N}";
        await WriteJsonAsync(http, ErrorBody(api, status));
    }

    private static async Task WriteJsonAsync(HttpContext http, JsonNode body)
    {
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(body.ToJsonString());
    }

    private static async Task<Func<string?, JsonNode, Task>> StartSseAsync(HttpContext http)
    {
        http.Response.ContentType = "text/event-stream; charset=utf-8";
        http.Response.Headers.CacheControl = "no-cache";
        await http.Response.Body.FlushAsync();
        return async (name, data) =>
        {
            var text = name is null ? $"data: {data.ToJsonString()}\n\n" : $"event: {name}\ndata: {data.ToJsonString()}\n\n";
            await http.Response.WriteAsync(text);
            await http.Response.Body.FlushAsync();
        };
    }

    /// <summary>Every header value that carried a key, by header name (authorization without its "Bearer ").</summary>
    public IEnumerable<(string Header, string Value)> KeysSeen() =>
        Requests.SelectMany(r => r.Headers
            .Where(h => h.Key is "x-api-key" or "authorization" or "x-goog-api-key" or "api-key")
            .Select(h => (h.Key, h.Key == "authorization" && h.Value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? h.Value[7..] : h.Value)));
}
