using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Catalyst.Credentials;

/// <summary>The three ways vendors take a key and word their errors.</summary>
public enum VendorApi
{
    Anthropic,
    OpenAI,
    Gemini,
}

/// <summary>The model API calls the broker forwards; anything else is answered 404.</summary>
public enum ApiCall
{
    AnthropicMessages,
    AnthropicCountTokens,
    OpenAIResponses,
    ChatCompletions,
    GeminiGenerate,
    GeminiStreamGenerate,
    GeminiCountTokens,
    ListModels,
    GetModel,
}

public static class VendorApis
{
    /// <summary>The vendor whose key header the provider's key check uses.</summary>
    public static VendorApi Of(IReadOnlyDictionary<string, string> keyHeaders) =>
        keyHeaders.Keys.Any(h => h.Equals("x-api-key", StringComparison.OrdinalIgnoreCase)) ? VendorApi.Anthropic
        : keyHeaders.Keys.Any(h => h.Equals("x-goog-api-key", StringComparison.OrdinalIgnoreCase)) ? VendorApi.Gemini
        : VendorApi.OpenAI;

    /// <summary>Which call a request is, from its method and the end of its path (the base URL's own path comes before).</summary>
    public static ApiCall? Classify(string method, string path)
    {
        var post = HttpMethods.IsPost(method);
        if (post && path.EndsWith("/v1/messages", StringComparison.Ordinal)) return ApiCall.AnthropicMessages;
        if (post && path.EndsWith("/v1/messages/count_tokens", StringComparison.Ordinal)) return ApiCall.AnthropicCountTokens;
        if (post && path.EndsWith("/responses", StringComparison.Ordinal)) return ApiCall.OpenAIResponses;
        if (post && path.EndsWith("/chat/completions", StringComparison.Ordinal)) return ApiCall.ChatCompletions;
        var models = path.LastIndexOf("/models/", StringComparison.Ordinal);
        if (post && models >= 0 && GeminiModel(path) is not null)
        {
            if (path.EndsWith(":generateContent", StringComparison.Ordinal)) return ApiCall.GeminiGenerate;
            if (path.EndsWith(":streamGenerateContent", StringComparison.Ordinal)) return ApiCall.GeminiStreamGenerate;
            if (path.EndsWith(":countTokens", StringComparison.Ordinal)) return ApiCall.GeminiCountTokens;
        }
        if (HttpMethods.IsGet(method))
        {
            if (path.EndsWith("/models", StringComparison.Ordinal)) return ApiCall.ListModels;
            if (models >= 0 && path.Length > models + "/models/".Length && path.IndexOf('/', models + "/models/".Length) < 0 && !path.Contains(':')) return ApiCall.GetModel;
        }
        return null;
    }

    /// <summary>The model of a Gemini call: <c>…/models/{model}:generateContent</c>.</summary>
    public static string? GeminiModel(string path)
    {
        var at = path.LastIndexOf("/models/", StringComparison.Ordinal);
        if (at < 0) return null;
        var rest = path[(at + "/models/".Length)..];
        var colon = rest.IndexOf(':');
        return colon > 0 && rest.IndexOf('/') < 0 ? rest[..colon] : null;
    }

    /// <summary>For an answer to a request whose token told us nothing: the vendor its headers and path look like.</summary>
    public static VendorApi Guess(HttpRequest request)
    {
        if (request.Headers.ContainsKey("x-api-key") || request.Headers.ContainsKey("anthropic-version") || request.Path.Value?.Contains("/messages") == true)
            return VendorApi.Anthropic;
        if (request.Headers.ContainsKey("x-goog-api-key") || request.Query.ContainsKey("key") || request.Path.Value?.Contains("/v1beta/") == true
            || request.Path.Value?.Contains(':') == true)
            return VendorApi.Gemini;
        return VendorApi.OpenAI;
    }

    /// <summary>The task token, from whichever header (or Gemini's <c>?key=</c>) the CLI put it in.</summary>
    public static string? TokenOf(HttpRequest request)
    {
        foreach (var name in (ReadOnlySpan<string>)["x-api-key", "x-goog-api-key"])
            if (request.Headers.TryGetValue(name, out var value) && !StringValues.IsNullOrEmpty(value)) return value.ToString().Trim();
        var auth = request.Headers.Authorization.ToString();
        if (auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return auth["Bearer ".Length..].Trim();
        return request.Query.TryGetValue("key", out var key) && !StringValues.IsNullOrEmpty(key) ? key.ToString().Trim() : null;
    }

    /// <summary>Headers that may carry a token or key on the way in; none of them is forwarded.</summary>
    public static readonly string[] CredentialHeaders = ["x-api-key", "x-goog-api-key", "Authorization", "api-key", "Proxy-Authorization"];

    public static Task Unauthorized(HttpContext context, VendorApi vendor) => Error(context, vendor, StatusCodes.Status401Unauthorized,
        "The task token is not valid: it is unknown, was revoked, or its task has ended.");

    public static Task NotFound(HttpContext context, VendorApi vendor) => Error(context, vendor, StatusCodes.Status404NotFound,
        $"The Catalyst broker does not forward {context.Request.Method} {context.Request.Path}.");

    /// <summary>
    /// An error in the vendor's own shape, so the CLI shows the message and acts on the status as it would with the vendor.
    /// </summary>
    public static async Task Error(HttpContext context, VendorApi vendor, int status, string message)
    {
        object body = vendor switch
        {
            VendorApi.Anthropic => new { type = "error", error = new { type = AnthropicType(status), message } },
            VendorApi.Gemini => new { error = new { code = status, message, status = GoogleStatus(status) } },
            _ => new { error = new { message, type = OpenAIType(status), param = (string?)null, code = OpenAICode(status) } },
        };
        context.Response.StatusCode = status;
        // Anthropic's and OpenAI's SDKs (which the CLIs use) honour this: a refused budget is not worth retrying.
        if (status == StatusCodes.Status429TooManyRequests) context.Response.Headers["x-should-retry"] = "false";
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(body));
    }

    private static string AnthropicType(int status) => status switch
    {
        401 => "authentication_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        >= 500 => "api_error",
        _ => "invalid_request_error",
    };

    private static string OpenAIType(int status) => status switch
    {
        429 => "insufficient_quota",
        >= 500 => "server_error",
        _ => "invalid_request_error",
    };

    private static string? OpenAICode(int status) => status switch
    {
        401 => "invalid_api_key",
        404 => "unknown_url",
        429 => "insufficient_quota",
        _ => null,
    };

    private static string GoogleStatus(int status) => status switch
    {
        401 => "UNAUTHENTICATED",
        404 => "NOT_FOUND",
        413 => "INVALID_ARGUMENT",
        429 => "RESOURCE_EXHAUSTED",
        >= 500 => "INTERNAL",
        _ => "INVALID_ARGUMENT",
    };
}
