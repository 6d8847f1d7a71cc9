using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Catalyst.Contracts;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Wolverine;
using Wolverine.Runtime;
using Yarp.ReverseProxy.Forwarder;

namespace Catalyst.Credentials;

/// <summary>
/// One request from a workspace: the task token is checked and swapped for the key, the budget checked, the request
/// forwarded to the vendor with YARP's forwarder, and the answer streamed back while its usage is read.
/// </summary>
public sealed class LlmBroker(
    IHttpForwarder forwarder, TaskTokenCache tokens, LlmSpend spend, LlmPrices prices, IWolverineRuntime wolverine, TimeProvider clock,
    ILogger<LlmBroker> logger) : IDisposable
{
    private const long MaxRequestBody = 32 * 1024 * 1024;
    private readonly ConcurrentDictionary<Guid, byte> _budgetReported = new();

    // No cookies, no redirects (a redirect would carry the key to wherever it points), no decompression: the answer passes as sent.
    private readonly HttpMessageInvoker _http = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        EnableMultipleHttp2Connections = true,
        // The vendor learns nothing of Catalyst's traces.
        ActivityHeadersPropagator = null,
        ConnectTimeout = TimeSpan.FromSeconds(15),
    });

    // A model can think for minutes before its first byte.
    private static readonly ForwarderRequestConfig Config = new() { ActivityTimeout = TimeSpan.FromMinutes(10) };

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var ct = context.RequestAborted;
        var path = request.Path.Value ?? "";
        var call = VendorApis.Classify(request.Method, path);
        var token = VendorApis.TokenOf(request);
        var grant = token is null ? null : await tokens.FindAsync(token, ct);
        if (grant is null)
        {
            logger.LogWarning("Refused a broker request without a valid task token: {Method} {Path}", request.Method, path);
            await VendorApis.Unauthorized(context, VendorApis.Guess(request));
            return;
        }
        if (call is not { } api)
        {
            await VendorApis.NotFound(context, grant.Vendor);
            return;
        }

        var budgeted = grant.TaskBudget != TaskBudget.None || grant.MonthlyBudget != TaskBudget.None;
        if (Generates(api) && budgeted)
        {
            var now = clock.GetUtcNow();
            var (taskSpent, monthSpent) = await spend.CurrentAsync(grant.TaskId, grant.UserId, now, ct);
            if ((BudgetCheck.Over(grant.TaskBudget, taskSpent, forTask: true) ?? BudgetCheck.Over(grant.MonthlyBudget, monthSpent, forTask: false)) is { } over)
            {
                logger.LogWarning("Task {TaskId}: {Reason}; the request was not forwarded", grant.TaskId, over);
                // Once per task on this node: a CLI that retries the refusal does not queue a stop per retry.
                if (_budgetReported.TryAdd(grant.TaskId, 0)) await new MessageBus(wolverine).PublishAsync(new TaskBudgetReached(grant.TaskId, over, now));
                await VendorApis.Error(context, grant.Vendor, StatusCodes.Status429TooManyRequests, over);
                return;
            }
        }

        string? model = api is ApiCall.GeminiGenerate or ApiCall.GeminiStreamGenerate or ApiCall.GeminiCountTokens ? VendorApis.GeminiModel(path) : null;
        if (HttpMethods.IsPost(request.Method))
        {
            if (request.ContentLength > MaxRequestBody)
            {
                await VendorApis.Error(context, grant.Vendor, StatusCodes.Status413PayloadTooLarge, "The request is larger than the broker forwards (32 MB).");
                return;
            }
            // Kept in memory (never spilled to a file) so that the model can be read and the same bytes forwarded.
            var body = new MemoryStream();
            var chunk = new byte[81920];
            int read;
            while ((read = await request.Body.ReadAsync(chunk, ct)) > 0 && body.Length <= MaxRequestBody) body.Write(chunk, 0, read);
            if (body.Length > MaxRequestBody)
            {
                await VendorApis.Error(context, grant.Vendor, StatusCodes.Status413PayloadTooLarge, "The request is larger than the broker forwards (32 MB).");
                return;
            }
            if (api == ApiCall.ChatCompletions && request.ContentLength is not null && WithUsageAsked(body.GetBuffer().AsSpan(0, (int)body.Length)) is { } asked)
            {
                body = new MemoryStream(asked, 0, asked.Length, writable: false, publiclyVisible: true);
                request.ContentLength = asked.Length;
            }
            body.Position = 0;
            request.Body = body;
            model ??= ModelOf(body.GetBuffer().AsSpan(0, (int)body.Length));
        }

        var transformer = new BrokerTransformer(grant, api, model, usage => Record(grant, usage));
        var error = await forwarder.SendAsync(context, grant.Upstream.GetLeftPart(UriPartial.Authority), _http, Config, transformer, ct);
        if (error != ForwarderError.None && !context.Response.HasStarted)
            await VendorApis.Error(context, grant.Vendor, StatusCodes.Status502BadGateway,
                $"The Catalyst broker could not get an answer from {grant.Upstream.GetLeftPart(UriPartial.Authority)} ({error}).");
    }

    /// <summary>The calls that cost tokens: the ones a budget stops.</summary>
    public static bool Generates(ApiCall call) =>
        call is ApiCall.AnthropicMessages or ApiCall.OpenAIResponses or ApiCall.ChatCompletions or ApiCall.GeminiGenerate or ApiCall.GeminiStreamGenerate;

    /// <summary>
    /// Counted on this node before the answer's end reaches the client (the next call is checked against it); written
    /// to the table and sent to the Tasks module after, without holding the answer back.
    /// </summary>
    private void Record(BrokerGrant grant, MeteredUsage usage)
    {
        var cost = prices.CostOf(usage);
        var at = clock.GetUtcNow();
        var write = spend.Add(grant.TaskId, grant.UserId, at, usage.Total, cost);
        _ = Task.Run(async () =>
        {
            try
            {
                await write(CancellationToken.None);
                await new MessageBus(wolverine).PublishAsync(new LlmUsageMetered(grant.TaskId, usage.Model ?? "unknown", usage.InputTokens, usage.OutputTokens,
                    usage.CacheReadTokens, usage.CacheWriteTokens, cost, at));
            }
            catch (Exception e)
            {
                logger.LogError("The usage of a request of task {TaskId} could not be recorded: {Error}", grant.TaskId, e.GetType().Name);
            }
        });
    }

    /// <summary>
    /// A streamed Chat Completions request reports usage only when asked (<c>stream_options.include_usage</c>); without
    /// it nothing could be metered and no budget would hold. Answers the body with the question added, or null to keep it.
    /// </summary>
    public static byte[]? WithUsageAsked(ReadOnlySpan<byte> body)
    {
        if (body.IndexOf("\"stream\""u8) < 0) return null;
        try
        {
            if (JsonNode.Parse(body) is not JsonObject request || request["stream"]?.GetValueKind() != JsonValueKind.True) return null;
            if (request["stream_options"] is JsonObject options)
            {
                if (options["include_usage"]?.GetValueKind() == JsonValueKind.True) return null;
                options["include_usage"] = true;
            }
            else request["stream_options"] = new JsonObject { ["include_usage"] = true };
            return JsonSerializer.SerializeToUtf8Bytes(request);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The top-level "model" of a JSON request body, read without parsing the rest.</summary>
    public static string? ModelOf(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isModel = reader.ValueTextEquals("model"u8);
                if (!reader.Read()) return null;
                if (isModel) return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }
        return null;
    }

    public void Dispose() => _http.Dispose();

    private sealed class BrokerTransformer(BrokerGrant grant, ApiCall call, string? model, Action<MeteredUsage> onUsage) : HttpTransformer
    {
        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix,
            CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            foreach (var header in VendorApis.CredentialHeaders) proxyRequest.Headers.Remove(header);
            // The usage is read from the answer as it passes: it must come uncompressed.
            proxyRequest.Headers.Remove("Accept-Encoding");
            proxyRequest.Headers.Host = null;
            proxyRequest.RequestUri = RequestUtilities.MakeDestinationAddress(destinationPrefix, httpContext.Request.Path, WithoutKey(httpContext.Request));
            foreach (var (name, value) in grant.KeyHeaders) proxyRequest.Headers.TryAddWithoutValidation(name, value);
        }

        public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
        {
            var copy = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
            if (proxyResponse is { IsSuccessStatusCode: true } && Generates(call))
            {
                var events = proxyResponse.Content.Headers.ContentType?.MediaType == "text/event-stream";
                proxyResponse.Content = new MeteringContent(proxyResponse.Content, new UsageReader(call, events, model), onUsage);
            }
            return copy;
        }

        // Gemini clients may send the token as ?key=: it goes no further.
        private static QueryString WithoutKey(HttpRequest request) =>
            request.Query.ContainsKey("key")
                ? QueryString.Create(request.Query.Where(q => q.Key != "key").SelectMany(q => q.Value.Select(v => KeyValuePair.Create(q.Key, v))))
                : request.QueryString;
    }
}
