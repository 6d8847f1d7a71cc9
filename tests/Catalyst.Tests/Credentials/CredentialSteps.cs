using System.Net;
using System.Text.RegularExpressions;
using Catalyst.Credentials;
using Catalyst.Tests.Infrastructure;
using Marten;

namespace Catalyst.Tests.Credentials;

/// <summary>What a person does on the credential pages, as form posts.</summary>
public static partial class CredentialSteps
{
    public static Dictionary<string, string> Form(string provider, string key, string? label = null, string? model = null, string? baseUrl = null)
    {
        var form = new Dictionary<string, string> { ["Form.Provider"] = provider, ["Form.ApiKey"] = key };
        if (label is not null) form["Form.Label"] = label;
        if (model is not null) form["Form.Model"] = model;
        if (baseUrl is not null) form["Form.BaseUrl"] = baseUrl;
        return form;
    }

    public static Task<HttpResponseMessage> PostCredentialAsync(this PageClient client, Dictionary<string, string> form) =>
        client.PostFormAsync("/settings/agents/new", form);

    /// <summary>Adds a credential through the form and answers its id.</summary>
    public static async Task<Guid> AddCredentialAsync(this PageClient client, IDocumentStore store, string provider, string key, string label = "default", string? baseUrl = null, string? model = null)
    {
        var response = await client.PostCredentialAsync(Form(provider, key, label, model, baseUrl));
        response.StatusCode.ShouldBe(HttpStatusCode.Redirect, await response.Content.ReadAsStringAsync());
        response.Headers.Location!.ToString().ShouldBe("/settings/agents");
        await using var session = store.QuerySession();
        var labelKey = UserAgentCredential.LabelKeyOf(provider, label);
        return (await session.Query<UserAgentCredential>().SingleAsync(c => c.LabelKey == labelKey && c.MaskedKey == CredentialInput.Mask(key))).Id;
    }

    /// <summary>A form post the way htmx sends it from the page (HX-Request, the antiforgery header from the layout).</summary>
    public static async Task<HttpResponseMessage> HtmxPostAsync(this PageClient client, string url, Dictionary<string, string> fields, string formPage)
    {
        var page = await client.GetHtmlAsync(formPage);
        var token = WebUtility.HtmlDecode(TokenField().Match(page).Groups[1].Value);
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(fields) };
        request.Headers.Add("HX-Request", "true");
        request.Headers.Add("RequestVerificationToken", token);
        return await client.SendAsync(request);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*?value=\"([^\"]+)\"")]
    private static partial Regex TokenField();

    /// <summary>The message shown beside a field.</summary>
    public static string FieldError(string html, string field) =>
        Regex.Match(html, $"data-valmsg-for=\"{Regex.Escape(field)}\"[^>]*>([^<]*)<").Groups[1].Value;
}
