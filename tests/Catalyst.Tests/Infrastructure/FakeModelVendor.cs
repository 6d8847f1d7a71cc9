using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Catalyst.Tests.Infrastructure;

/// <summary>
/// The model vendors' "list models" endpoints as Catalyst's key test calls them, on 127.0.0.1: Anthropic's
/// (x-api-key + anthropic-version), OpenAI's (Bearer) and Google's Generative Language API (x-goog-api-key) answers and
/// error bodies, plus an endpoint that never answers.
/// </summary>
public sealed class FakeModelVendor : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, bool> _accepted = new();
    private LoopbackServer _server = null!;

    public ConcurrentQueue<(string Path, IReadOnlyDictionary<string, string> Headers)> Requests { get; } = new();

    /// <summary>Base URL as Anthropic clients take it (no /v1).</summary>
    public string AnthropicBaseUrl => _server.Address.ToString().TrimEnd('/');

    /// <summary>Base URL as OpenAI clients take it (with /v1).</summary>
    public string OpenAIBaseUrl => _server.Url("v1");

    /// <summary>Base URL as Gemini clients take it (no /v1beta).</summary>
    public string GeminiBaseUrl => AnthropicBaseUrl;

    /// <summary>Answers nothing until the client gives up.</summary>
    public string HangingBaseUrl => _server.Url("hang");

    /// <summary>Refuses every key and quotes it back in full, the way a careless proxy does.</summary>
    public string EchoingBaseUrl => _server.Url("echo");

    public void Accept(string key) => _accepted[key] = true;

    public static string NewKey(string prefix) => prefix + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20));

    public static async Task<FakeModelVendor> StartAsync()
    {
        var vendor = new FakeModelVendor();
        vendor._server = await LoopbackServer.StartAsync(vendor.Map);
        return vendor;
    }

    private void Map(WebApplication app)
    {
        app.MapGet("/v1/models", (HttpRequest request) =>
        {
            Record(request);
            if (request.Headers.ContainsKey("x-api-key")) return Anthropic(request);
            return OpenAI(request);
        });

        app.MapGet("/v1beta/models", (HttpRequest request) =>
        {
            Record(request);
            return Gemini(request);
        });

        app.MapGet("/hang/{**rest}", async (HttpRequest request, CancellationToken ct) =>
        {
            Record(request);
            await Task.Delay(TimeSpan.FromSeconds(30), ct);
            return Results.Ok();
        });

        app.MapGet("/echo/{**rest}", (HttpRequest request) =>
        {
            Record(request);
            var key = request.Headers["x-api-key"].ToString() is { Length: > 0 } k ? k : request.Headers.Authorization.ToString().Replace("Bearer ", "");
            return Results.Json(new { error = new { message = $"The key {key} is not valid here." } }, statusCode: 401);
        });
    }

    private void Record(HttpRequest request) =>
        Requests.Enqueue((request.Path + request.QueryString, request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString())));

    private IResult Anthropic(HttpRequest request)
    {
        if (request.Headers["anthropic-version"].ToString() != "2023-06-01")
            return Results.Json(new { type = "error", error = new { type = "invalid_request_error", message = "anthropic-version: header is required" } }, statusCode: 400);
        if (!_accepted.ContainsKey(request.Headers["x-api-key"].ToString()))
            return Results.Json(new { type = "error", error = new { type = "authentication_error", message = "invalid x-api-key" }, request_id = "req_011CTestBadKey" }, statusCode: 401);
        return Results.Json(new
        {
            data = new[]
            {
                new { type = "model", id = "claude-sonnet-4-5", display_name = "Claude Sonnet 4.5", created_at = "2025-09-29T00:00:00Z" },
                new { type = "model", id = "claude-haiku-4-5", display_name = "Claude Haiku 4.5", created_at = "2025-10-01T00:00:00Z" },
            },
            has_more = false,
            first_id = "claude-sonnet-4-5",
            last_id = "claude-haiku-4-5",
        });
    }

    private IResult OpenAI(HttpRequest request)
    {
        var auth = request.Headers.Authorization.ToString();
        var key = auth.StartsWith("Bearer ") ? auth["Bearer ".Length..] : "";
        if (!_accepted.ContainsKey(key))
        {
            var shown = key.Length > 10 ? $"{key[..6]}{new string('*', key.Length - 10)}{key[^4..]}" : "";
            return Results.Json(new
            {
                error = new
                {
                    message = $"Incorrect API key provided: {shown}. You can find your API key at https://platform.openai.com/account/api-keys.",
                    type = "invalid_request_error",
                    param = (string?)null,
                    code = "invalid_api_key",
                },
            }, statusCode: 401);
        }
        return Results.Json(new
        {
            @object = "list",
            data = new[]
            {
                new { id = "gpt-5.5", @object = "model", created = 1767225600, owned_by = "openai" },
                new { id = "gpt-5.5-mini", @object = "model", created = 1767225600, owned_by = "openai" },
                new { id = "o4-mini", @object = "model", created = 1767225600, owned_by = "openai" },
            },
        });
    }

    private IResult Gemini(HttpRequest request)
    {
        // Google answers a wrong key with 400 (not 401) and says why in the details.
        if (!_accepted.ContainsKey(request.Headers["x-goog-api-key"].ToString()))
            return Results.Json(new
            {
                error = new
                {
                    code = 400,
                    message = "API key not valid. Please pass a valid API key.",
                    status = "INVALID_ARGUMENT",
                    details = new object[]
                    {
                        new Dictionary<string, object>
                        {
                            ["@type"] = "type.googleapis.com/google.rpc.ErrorInfo", ["reason"] = "API_KEY_INVALID", ["domain"] = "googleapis.com",
                            ["metadata"] = new { service = "generativelanguage.googleapis.com" },
                        },
                    },
                },
            }, statusCode: 400);
        return Results.Json(new
        {
            models = new[]
            {
                new { name = "models/gemini-2.5-pro", displayName = "Gemini 2.5 Pro", supportedGenerationMethods = new[] { "generateContent", "countTokens" } },
                new { name = "models/gemini-2.5-flash", displayName = "Gemini 2.5 Flash", supportedGenerationMethods = new[] { "generateContent", "countTokens" } },
                new { name = "models/gemini-embedding-001", displayName = "Gemini Embedding 001", supportedGenerationMethods = new[] { "embedContent" } },
            },
            nextPageToken = "",
        });
    }

    /// <summary>An address on this machine where nothing listens: connecting is refused at once.</summary>
    public static string UnreachableBaseUrl()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"http://127.0.0.1:{port}";
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
