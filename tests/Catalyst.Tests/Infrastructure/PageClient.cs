using System.Net;
using System.Text.RegularExpressions;

namespace Catalyst.Tests.Infrastructure;

/// <summary>What a browser without JavaScript does: keeps cookies, reads the antiforgery token off the form page, posts forms.</summary>
public sealed partial class PageClient : IDisposable
{
    private readonly HttpClient _http;
    public CookieContainer Cookies { get; } = new();

    public PageClient(HttpMessageHandler inner, Uri? baseAddress = null)
    {
        _http = new HttpClient(new CookieHandler(Cookies) { InnerHandler = inner }) { BaseAddress = baseAddress ?? new Uri("http://localhost") };
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*?value=\"([^\"]+)\"")]
    private static partial Regex TokenField();

    public Task<HttpResponseMessage> GetAsync(string url) => _http.GetAsync(url);

    public async Task<string> GetHtmlAsync(string url)
    {
        var response = await _http.GetAsync(url);
        var html = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, html);
        return html;
    }

    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request) => _http.SendAsync(request);

    /// <summary>Answers once the headers are in, for a response that streams (server-sent events).</summary>
    public Task<HttpResponseMessage> OpenStreamAsync(string url) => _http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);

    /// <summary>Posts a form the way the page does: GETs <paramref name="formPage"/> (default: the target) for its antiforgery token first.</summary>
    public async Task<HttpResponseMessage> PostFormAsync(string url, Dictionary<string, string> fields, string? formPage = null, bool withAntiforgery = true)
    {
        var content = new Dictionary<string, string>(fields);
        if (withAntiforgery)
        {
            var page = await _http.GetStringAsync(formPage ?? url.Split('?')[0]);
            var match = TokenField().Match(page);
            if (!match.Success) throw new InvalidOperationException($"No antiforgery token on {formPage ?? url}.");
            content["__RequestVerificationToken"] = WebUtility.HtmlDecode(match.Groups[1].Value);
        }
        return await _http.PostAsync(url, new FormUrlEncodedContent(content));
    }

    public void Dispose() => _http.Dispose();

    private sealed class CookieHandler(CookieContainer cookies) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            var uri = request.RequestUri!;
            var header = cookies.GetCookieHeader(uri);
            if (header.Length > 0) request.Headers.Add("Cookie", header);
            var response = await base.SendAsync(request, ct);
            if (response.Headers.TryGetValues("Set-Cookie", out var values))
                foreach (var value in values) cookies.SetCookies(uri, value);
            return response;
        }
    }
}
