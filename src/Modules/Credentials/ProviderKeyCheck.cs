using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Catalyst.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Catalyst.Credentials;

/// <summary>How long a key test waits for the provider: <c>Catalyst:CredentialTestTimeoutSeconds</c>, 10 s by default.</summary>
public sealed class KeyCheckSettings(IConfiguration configuration)
{
    public const string TimeoutKey = "Catalyst:CredentialTestTimeoutSeconds";

    public TimeSpan Timeout { get; } =
        double.TryParse(configuration[TimeoutKey], NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : TimeSpan.FromSeconds(10);
}

/// <summary>
/// Tries a key against the provider's API with the request its catalogue entry names, and turns every answer
/// (accepted, refused, unreachable, too slow) into a message a person can act on. Never throws for the network.
/// </summary>
public static class ProviderKeyCheck
{
    public const string HttpClientName = "catalyst-credential-test";
    private const int MaxBody = 64 * 1024;

    public static async Task<KeyTestResult> RunAsync(
        IHttpClientFactory httpClients, KeyCheckSettings settings, TimeProvider clock, ILogger logger,
        AgentProviderInfo provider, string key, string? baseUrl, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        key = key.Trim();
        if (provider.KeyCheck is not { } check)
            return new(KeyTestStatus.Failed, $"Catalyst has no way to test {provider.DisplayName} keys; the key is kept as it is.", now);

        var root = baseUrl ?? provider.DefaultBaseUrl;
        if (!Uri.TryCreate(root?.TrimEnd('/') + "/", UriKind.Absolute, out var rootUri))
            return new(KeyTestStatus.Failed, $"{provider.DisplayName} has no base URL to test against; enter one.", now);
        var target = new Uri(rootUri, check.Path);

        using var request = new HttpRequestMessage(new HttpMethod(check.Method), target);
        foreach (var (name, template) in check.Headers) request.Headers.TryAddWithoutValidation(name, template.Replace("{key}", key, StringComparison.Ordinal));
        request.Headers.UserAgent.ParseAdd("Catalyst/1.0");

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(settings.Timeout);
        var http = httpClients.CreateClient(HttpClientName);
        KeyTestResult result;
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var body = await ReadLimitedAsync(response.Content, timeout.Token);
            result = Interpret(provider, target, response, body, key, now);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            result = new(KeyTestStatus.TimedOut,
                $"{target.GetLeftPart(UriPartial.Authority)} did not answer within {Seconds(settings.Timeout)}. Check the base URL, or try again later.", now);
        }
        catch (HttpRequestException e)
        {
            var reason = e.InnerException?.Message ?? e.Message;
            result = new(KeyTestStatus.Unreachable,
                $"Catalyst could not reach {target.GetLeftPart(UriPartial.Authority)}: {CredentialInput.Redact(reason, key)}. Check the base URL and this machine's network.", now);
        }

        logger.LogInformation("Key test for {Provider} against {Endpoint}: {Status} {HttpStatus}", provider.Name, target.GetLeftPart(UriPartial.Path), result.Status, result.HttpStatus);
        return result;
    }

    private static KeyTestResult Interpret(AgentProviderInfo provider, Uri target, HttpResponseMessage response, string body, string key, DateTimeOffset now)
    {
        var status = (int)response.StatusCode;
        var vendor = $"{provider.DisplayName}'s API";
        if (response.IsSuccessStatusCode)
        {
            var models = CountModels(body);
            return new(KeyTestStatus.Valid, models is { } n
                ? $"The key works: {vendor} accepted it and lists {n} model{(n == 1 ? "" : "s")}."
                : $"The key works: {vendor} accepted it.", now, status);
        }

        var said = CredentialInput.Redact(VendorMessage(body) ?? response.ReasonPhrase ?? "no reason given", key);
        // Google's APIs answer an invalid key with 400 and the reason API_KEY_INVALID.
        var refused = response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden
            || response.StatusCode == HttpStatusCode.BadRequest && body.Contains("API_KEY_INVALID", StringComparison.Ordinal);
        return response.StatusCode switch
        {
            _ when refused =>
                new(KeyTestStatus.Rejected, $"{vendor} refused the key (HTTP {status}): {said}", now, status),
            >= HttpStatusCode.MultipleChoices and < HttpStatusCode.BadRequest =>
                new(KeyTestStatus.Failed, $"{target.GetLeftPart(UriPartial.Authority)} answered with a redirect (HTTP {status}) to {response.Headers.Location}; enter the final address as the base URL.", now, status),
            HttpStatusCode.NotFound =>
                new(KeyTestStatus.Failed, $"{target} does not exist (HTTP 404): is the base URL right? The provider said: {said}", now, status),
            _ => new(KeyTestStatus.Failed, $"{vendor} could not check the key (HTTP {status}): {said}", now, status),
        };
    }

    /// <summary>The vendor's own words: Anthropic's and OpenAI's {"error": {"message": ...}}, or a top-level message.</summary>
    private static string? VendorMessage(string body)
    {
        if (body.Length == 0) return null;
        try
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return Trim(body);
            if (root.TryGetProperty("error", out var error))
            {
                if (error.ValueKind == JsonValueKind.String) return Trim(error.GetString()!);
                if (error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String) return Trim(m.GetString()!);
            }
            foreach (var name in new[] { "message", "detail", "title" })
                if (root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String) return Trim(v.GetString()!);
            return Trim(body);
        }
        catch (JsonException)
        {
            return Trim(body);
        }
    }

    private static int? CountModels(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            // Anthropic and OpenAI list models under "data", Google under "models".
            if (json.RootElement.ValueKind != JsonValueKind.Object) return null;
            foreach (var name in new[] { "data", "models" })
                if (json.RootElement.TryGetProperty(name, out var list) && list.ValueKind == JsonValueKind.Array) return list.GetArrayLength();
            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static async Task<string> ReadLimitedAsync(HttpContent content, CancellationToken ct)
    {
        await using var stream = await content.ReadAsStreamAsync(ct);
        var buffer = new byte[MaxBody];
        var read = 0;
        int n;
        while (read < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(read), ct)) > 0) read += n;
        return Encoding.UTF8.GetString(buffer, 0, read);
    }

    private static string Trim(string text)
    {
        text = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return text.Length <= 300 ? text : text[..300] + "…";
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds == 1 ? "1 second" : $"{t.TotalSeconds:0.#} seconds";
}
