using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Catalyst.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Catalyst.Tests.Broker;

/// <summary>
/// The model calls of Anthropic, OpenAI (Responses and Chat Completions) and Gemini on 127.0.0.1, answering in each
/// vendor's wire format (JSON, or server-sent events when asked to stream) with fixed usage, and recording every request.
/// </summary>
public sealed class VendorApiServer : IAsyncDisposable
{
    private LoopbackServer _server = null!;

    public sealed record Received(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers, string Body);

    public ConcurrentQueue<Received> Requests { get; } = new();

    /// <summary>The slow stream sends its second event only once this is released.</summary>
    public TaskCompletionSource SecondEvent { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string BaseUrl => _server.Address.ToString().TrimEnd('/');

    public static async Task<VendorApiServer> StartAsync()
    {
        var vendor = new VendorApiServer();
        vendor._server = await LoopbackServer.StartAsync(vendor.Map);
        return vendor;
    }

    public void Reset()
    {
        Requests.Clear();
        SecondEvent = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private void Map(WebApplication app)
    {
        app.MapPost("/v1/messages", async (HttpContext http) =>
        {
            var body = await Record(http);
            if (!Streams(body))
            {
                await Json(http, new
                {
                    id = "msg_01", type = "message", role = "assistant", model = "claude-sonnet-4-5",
                    content = new[] { new { type = "text", text = "Hello." } }, stop_reason = "end_turn",
                    usage = new { input_tokens = 1200, cache_creation_input_tokens = 300, cache_read_input_tokens = 4000, output_tokens = 85 },
                });
                return;
            }
            await Events(http,
                ("message_start", new { type = "message_start", message = new { id = "msg_01", type = "message", role = "assistant", model = "claude-sonnet-4-5", content = Array.Empty<object>(),
                    usage = new { input_tokens = 1200, cache_creation_input_tokens = 300, cache_read_input_tokens = 4000, output_tokens = 1 } } }),
                ("content_block_start", new { type = "content_block_start", index = 0, content_block = new { type = "text", text = "" } }),
                ("content_block_delta", new { type = "content_block_delta", index = 0, delta = new { type = "text_delta", text = "Hello." } }),
                ("content_block_stop", new { type = "content_block_stop", index = 0 }),
                ("message_delta", new { type = "message_delta", delta = new { stop_reason = "end_turn" }, usage = new { output_tokens = 85 } }),
                ("message_stop", new { type = "message_stop" }));
        });

        app.MapPost("/slow/v1/messages", async (HttpContext http) =>
        {
            await Record(http);
            http.Response.ContentType = "text/event-stream";
            await http.Response.WriteAsync("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-sonnet-4-5\",\"usage\":{\"input_tokens\":10,\"output_tokens\":1}}}\n\n");
            await http.Response.Body.FlushAsync();
            await SecondEvent.Task.WaitAsync(TimeSpan.FromSeconds(30));
            await http.Response.WriteAsync("event: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":2}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
        });

        app.MapPost("/v1/responses", async (HttpContext http) =>
        {
            await Record(http);
            var usage = new { input_tokens = 5000, input_tokens_details = new { cached_tokens = 3000 }, output_tokens = 240, output_tokens_details = new { reasoning_tokens = 100 }, total_tokens = 5240 };
            await Events(http,
                ("response.created", new { type = "response.created", response = new { id = "resp_1", model = "gpt-5.5", status = "in_progress", usage = (object?)null } }),
                ("response.output_text.delta", new { type = "response.output_text.delta", delta = "Done." }),
                ("response.completed", new { type = "response.completed", response = new { id = "resp_1", model = "gpt-5.5", status = "completed", usage } }));
        });

        app.MapPost("/v1/chat/completions", async (HttpContext http) =>
        {
            await Record(http);
            await Events(http,
                (null, new { id = "c1", @object = "chat.completion.chunk", model = "qwen3-coder-plus", choices = new[] { new { index = 0, delta = new { content = "Done." } } }, usage = (object?)null }),
                (null, new { id = "c1", @object = "chat.completion.chunk", model = "qwen3-coder-plus", choices = Array.Empty<object>(),
                    usage = new { prompt_tokens = 2000, completion_tokens = 150, total_tokens = 2150, prompt_tokens_details = new { cached_tokens = 500 } } }));
            await http.Response.WriteAsync("data: [DONE]\n\n");
        });

        app.MapPost("/v1beta/models/{call}", async (HttpContext http, string call) =>
        {
            await Record(http);
            object Chunk(string text, int prompt, int candidates, int cached) => new
            {
                candidates = new[] { new { content = new { role = "model", parts = new[] { new { text } } } } },
                usageMetadata = new { promptTokenCount = prompt, candidatesTokenCount = candidates, cachedContentTokenCount = cached, totalTokenCount = prompt + candidates },
                modelVersion = "gemini-2.5-pro",
            };
            if (call.EndsWith(":streamGenerateContent"))
                await Events(http, (null, Chunk("Do", 3000, 10, 1000)), (null, Chunk("ne.", 3000, 60, 1000)));
            else await Json(http, Chunk("Done.", 3000, 60, 1000));
        });

        app.MapGet("/v1/models", async (HttpContext http) =>
        {
            await Record(http);
            await Json(http, new { data = new[] { new { id = "claude-sonnet-4-5", type = "model" } } });
        });
    }

    private static bool Streams(string body) =>
        body.Length > 0 && JsonDocument.Parse(body).RootElement.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;

    private async Task<string> Record(HttpContext http)
    {
        using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        Requests.Enqueue(new(http.Request.Method, http.Request.Path + http.Request.QueryString,
            http.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()), body));
        return body;
    }

    private static Task Json(HttpContext http, object body) => http.Response.WriteAsJsonAsync(body);

    private static async Task Events(HttpContext http, params (string? Event, object Data)[] events)
    {
        http.Response.ContentType = "text/event-stream";
        foreach (var (name, data) in events)
        {
            await http.Response.WriteAsync((name is null ? "" : $"event: {name}\n") + $"data: {JsonSerializer.Serialize(data)}\n\n");
            await http.Response.Body.FlushAsync();
        }
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
