using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Diagnostics;

namespace Catalyst.Host.Mcp;

/// <summary>
/// What /mcp checks before the MCP SDK sees a request, and how it answers what it refuses: always JSON (a JSON-RPC error), never
/// the HTML error page. A browser page on another site cannot call it (Origin), a body is at most <see cref="MaxBodyBytes"/>,
/// and `arguments` that is not an object is an invalid-params error (-32602) rather than an internal one.
/// </summary>
public sealed class McpHttpGuard(RequestDelegate next, IConfiguration configuration)
{
    public const int DefaultMaxBodyBytes = 1024 * 1024;
    public const int InvalidParams = -32602;
    public const int InvalidRequest = -32600;

    private int MaxBodyBytes => configuration.GetValue("Catalyst:Mcp:MaxRequestBytes", DefaultMaxBodyBytes);

    public async Task InvokeAsync(HttpContext context)
    {
        if (!context.Request.Path.StartsWithSegments("/mcp"))
        {
            await next(context);
            return;
        }

        // The SDK and the authentication answer some refusals with a status and no body; those get a JSON body below.
        context.Features.Get<IStatusCodePagesFeature>()?.Enabled = false;

        if (!OriginAllowed(context.Request, configuration["Catalyst:PublicUrl"]))
        {
            await Refuse(context, StatusCodes.Status403Forbidden, InvalidRequest,
                "Forbidden: the Origin header is not this server's public URL. Browser pages of other sites cannot call /mcp.");
            return;
        }

        if (HttpMethods.IsPost(context.Request.Method))
        {
            var limit = MaxBodyBytes;
            if (context.Request.ContentLength > limit)
            {
                await Refuse(context, StatusCodes.Status413PayloadTooLarge, InvalidRequest, TooLarge(limit));
                return;
            }
            var body = await ReadUpTo(context.Request.Body, limit + 1L, context.RequestAborted);
            if (body.Length > limit)
            {
                await Refuse(context, StatusCodes.Status413PayloadTooLarge, InvalidRequest, TooLarge(limit));
                return;
            }
            if (!IsJson(context.Request.ContentType))
            {
                await Refuse(context, StatusCodes.Status415UnsupportedMediaType, InvalidRequest,
                    "Unsupported Media Type: send the JSON-RPC message with Content-Type: application/json.");
                return;
            }
            if (ArgumentsNotAnObject(body, out var id))
            {
                await Write(context, StatusCodes.Status200OK, InvalidParams,
                    "Invalid params: `arguments` must be an object of argument names and values, e.g. {\"task_id\": \"…\"}.", id);
                return;
            }
            context.Request.Body = new MemoryStream(body, writable: false);
            context.Request.ContentLength = body.Length;
        }

        try
        {
            await next(context);
        }
        catch (Exception e) when (!context.Response.HasStarted && Database.DatabaseOutage.IsCause(e))
        {
            Database.DatabaseOutage.LogRefusal(context.RequestServices.GetRequiredService<ILogger<McpHttpGuard>>(), e);
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = Database.DatabaseOutage.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (!context.Response.HasStarted && e is not OperationCanceledException)
        {
            context.RequestServices.GetRequiredService<ILogger<McpHttpGuard>>().LogError(e, "An MCP request failed");
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
        }

        if (context.Response.StatusCode >= 400 && !context.Response.HasStarted)
            await Write(context, context.Response.StatusCode, InvalidRequest, StatusText(context), null);
    }

    /// <summary>No Origin: a command-line or server client, allowed. An Origin: only this server's own (its public URL when configured).</summary>
    public static bool OriginAllowed(HttpRequest request, string? publicUrl)
    {
        var origin = request.Headers.Origin.ToString();
        if (string.IsNullOrEmpty(origin)) return true;
        if (!Uri.TryCreate(origin, UriKind.Absolute, out var given)) return false;
        var expected = !string.IsNullOrWhiteSpace(publicUrl) && Uri.TryCreate(publicUrl, UriKind.Absolute, out var configured)
            ? configured
            : new Uri($"{request.Scheme}://{request.Host}");
        return string.Equals(given.GetLeftPart(UriPartial.Authority), expected.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase);
    }

    private static string TooLarge(int limit) =>
        $"Payload Too Large: an MCP request is at most {limit:N0} bytes. Send less text (instructions are at most 100 KB, context_details 64 KB).";

    private static bool IsJson(string? contentType) =>
        contentType is not null && contentType.Split(';')[0].Trim().Equals("application/json", StringComparison.OrdinalIgnoreCase);

    private static string StatusText(HttpContext context) => context.Response.StatusCode switch
    {
        StatusCodes.Status401Unauthorized => "Unauthorized: send a personal API token as Authorization: Bearer cat_… (made under API tokens in the web app).",
        StatusCodes.Status403Forbidden => "Forbidden.",
        StatusCodes.Status404NotFound => "Not Found: the MCP endpoint is POST /mcp.",
        StatusCodes.Status405MethodNotAllowed => $"Method Not Allowed: {context.Request.Method} is not served; this server is stateless, send every message with POST /mcp.",
        StatusCodes.Status406NotAcceptable => "Not Acceptable: accept both application/json and text/event-stream.",
        StatusCodes.Status415UnsupportedMediaType => "Unsupported Media Type: send the JSON-RPC message with Content-Type: application/json.",
        StatusCodes.Status503ServiceUnavailable => $"Service Unavailable: {Database.DatabaseOutage.Message}",
        >= 500 => "The server could not answer this request; try again.",
        var status => $"The request was refused ({status}).",
    };

    private static bool ArgumentsNotAnObject(byte[] body, out JsonNode? id)
    {
        id = null;
        try
        {
            if (JsonNode.Parse(body) is not JsonObject message) return false;
            id = message["id"]?.DeepClone();
            return message["params"] is JsonObject p && p.TryGetPropertyValue("arguments", out var arguments)
                   && arguments is not null && arguments is not JsonObject;
        }
        catch (JsonException)
        {
            return false; // The SDK answers a parse error itself.
        }
    }

    private static async Task<byte[]> ReadUpTo(Stream body, long max, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, ct)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length >= max) break;
        }
        return buffer.ToArray();
    }

    private static Task Refuse(HttpContext context, int status, int code, string message) => Write(context, status, code, message, null);

    public static async Task Write(HttpContext context, int status, int code, string message, JsonNode? id)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        var error = new JsonObject
        {
            ["jsonrpc"] = "2.0",
            ["id"] = id,
            ["error"] = new JsonObject { ["code"] = code, ["message"] = message },
        };
        await context.Response.WriteAsync(error.ToJsonString(CatalystMcp.Json), context.RequestAborted);
    }
}
