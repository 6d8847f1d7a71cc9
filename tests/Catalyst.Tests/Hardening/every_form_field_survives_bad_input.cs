using System.Net;
using System.Text.RegularExpressions;
using Catalyst.Host;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Tasks;
using Catalyst.Tests.Workspaces;

namespace Catalyst.Tests.Hardening;

/// <summary>
/// Table-driven fuzzing of every form the app shows: the pages are found by following the app's own links from the start
/// pages, their forms and fields are read off the HTML, and each field in turn gets each bad value while the others keep
/// theirs. No answer may be a 5xx or the generic "something went wrong" page; a control character is a 400 that names the field.
/// A new page, form or field is covered as soon as a link leads to it.
/// </summary>
public sealed partial class every_form_field_survives_bad_input(AppFixture fixture) : IntegrationContext(fixture)
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();

    public override ValueTask DisposeAsync()
    {
        _sandbox.Dispose();
        return base.DisposeAsync();
    }

    /// <summary>What each field gets: the value, and whether it must be refused with a 400 naming the field.</summary>
    private static readonly (string Name, Func<string, string> Value, bool Refused)[] BadValues =
    [
        ("NUL", v => v + "\0x", true),
        ("bell", v => "a\u0007b" + v, true),
        ("escape", v => "\u001b[31m" + v, true),
        ("huge", _ => new string('a', 200_000), true),
        ("empty", _ => "", false),
        ("unicode", _ => "Zoë ✓ 𝄞 日本語 \u200f", false),
        ("negative", _ => "-1", false),
        ("huge number", _ => "99999999999999999999999", false),
        ("all-zero id", _ => "00000000-0000-0000-0000-000000000000", false),
        ("dash option", _ => "-x", false),
    ];

    private static readonly string[] GenericMessages = ["It has been logged", "An error occurred", "Something went wrong", "Exception"];

    [Fact]
    public async Task no_bad_value_in_any_form_field_gives_a_5xx_or_a_generic_message()
    {
        using var ada = await SignedUp("ada@example.com");
        await ada.CreateProjectAsync("fuzz", _sandbox.Origin);
        var credential = await ada.AddScriptCredentialAsync(Store);
        var task = await ada.StartTaskAsync("fuzz", credential, "exit 0");
        await Store.WaitUntilFinishedAsync(task);

        var pages = await Crawl(ada, ["/projects", "/settings/agents", "/settings/tokens", $"/projects/fuzz/agents/{task}"]);
        pages.Keys.ShouldContain("/projects/fuzz/edit");
        pages.Keys.ShouldContain("/projects/fuzz/agents/new");
        var forms = pages.SelectMany(p => Forms(p.Key, p.Value)).DistinctBy(f => (f.Method, f.Action, string.Join(",", f.Fields.Keys))).ToList();
        forms.Count.ShouldBeGreaterThan(5);
        forms.Select(f => f.Action).ShouldContain(a => a.StartsWith("/projects/new"));
        forms.SelectMany(f => f.Fields.Keys).ShouldContain("Instructions");

        var failures = new List<string>();
        foreach (var form in forms) failures.AddRange(await Fuzz(ada, form));

        using var anonymous = NewClient();
        var open = await Crawl(anonymous, ["/signin", "/signup"]);
        foreach (var form in open.SelectMany(p => Forms(p.Key, p.Value))) failures.AddRange(await Fuzz(anonymous, form));

        failures.ShouldBeEmpty(string.Join("\n", failures.Take(30)));
        Fixture.Logs.Lines.Where(l => l.Contains("[Error]") && l.StartsWith("Microsoft.AspNetCore")).ShouldBeEmpty();
    }

    [Fact]
    public async Task an_all_zero_task_id_in_an_address_is_not_found_and_nothing_is_logged_as_an_error()
    {
        using var ada = await SignedUp("ada@example.com");
        await ada.CreateProjectAsync("zeros", _sandbox.Origin);
        var zero = Guid.Empty;

        (await ada.GetAsync($"/projects/zeros/agents/{zero}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        foreach (var handler in new[] { "Cancel", "Retry", "Approve", "Reject" })
        {
            var response = await ada.PostFormAsync($"/projects/zeros/agents/{zero}?handler={handler}", new(), formPage: "/projects/zeros");
            ((int)response.StatusCode).ShouldBeLessThan(500, handler);
            response.StatusCode.ShouldBeOneOf(HttpStatusCode.NotFound, HttpStatusCode.BadRequest);
        }
        var choose = await ada.PostFormAsync($"/projects/zeros/agents/{zero}/runs?handler=Choose", new() { ["RunId"] = zero.ToString() }, formPage: "/projects/zeros");
        ((int)choose.StatusCode).ShouldBeLessThan(500);
        Fixture.Logs.Lines.Where(l => l.Contains("[Error]") || l.Contains("[Critical]")).ShouldBeEmpty();
    }

    [Fact]
    public async Task a_nul_in_an_address_or_query_is_a_400_naming_the_problem()
    {
        using var ada = await SignedUp("ada@example.com");
        await ada.CreateProjectAsync("nul", _sandbox.Origin);
        var page = await ada.GetAsync("/projects/nul/agents?status=%00");
        page.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        WebUtility.HtmlDecode(await page.Content.ReadAsStringAsync()).ShouldContain("“Status” contains a NUL character");

        var api = await ada.GetAsync("/api/projects/nu%01l");
        api.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        api.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
    }

    private async Task<List<string>> Fuzz(PageClient client, Form form)
    {
        var failures = new List<string>();
        var fuzzable = form.Fields.Keys.Where(k => k != "__RequestVerificationToken").ToList();
        if (fuzzable.Count == 0) return failures;
        foreach (var field in fuzzable)
        {
            foreach (var (name, value, refused) in BadValues)
            {
                var fields = new Dictionary<string, string>(form.Fields) { [field] = value(form.Fields[field]) };
                var response = await Submit(client, form, fields);
                var body = await response.Content.ReadAsStringAsync();
                var what = $"{form.Method} {form.Action} {field}={name}: {(int)response.StatusCode}";
                if ((int)response.StatusCode >= 500) failures.Add($"{what} (a server error)");
                else if (GenericMessages.FirstOrDefault(body.Contains) is { } generic) failures.Add($"{what} says “{generic}”");
                else if (refused && response.StatusCode != HttpStatusCode.BadRequest) failures.Add($"{what} (a bad value was accepted)");
                // A text area's own rule names a control character other than NUL beside the field, in its own words.
                else if (refused && !(FormInputGuard.IsMultiLine(field) && name is "bell" or "escape")
                         && !WebUtility.HtmlDecode(body).Contains($"“{FormInputGuard.Label(field)}”"))
                    failures.Add($"{what} (the answer does not name the field “{FormInputGuard.Label(field)}”)");
            }
        }
        // A field the form does not have is ignored, never a fault.
        var extra = await Submit(client, form, new Dictionary<string, string>(form.Fields) { ["Unexpected.Field[0]"] = "x" });
        if ((int)extra.StatusCode >= 500) failures.Add($"{form.Method} {form.Action} with an extra field: {(int)extra.StatusCode}");
        return failures;
    }

    private static async Task<HttpResponseMessage> Submit(PageClient client, Form form, Dictionary<string, string> fields)
    {
        if (form.Method == "get")
        {
            var query = string.Join("&", fields.Select(f => $"{Uri.EscapeDataString(f.Key)}={Uri.EscapeDataString(f.Value)}"));
            return await client.GetAsync($"{form.Action.Split('?')[0]}?{query}");
        }
        // A fresh antiforgery token from the page the form is on, as a browser has.
        var html = await (await client.GetAsync(form.Page)).Content.ReadAsStringAsync();
        if (Token().Match(html) is { Success: true } token) fields["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value);
        return await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, form.Action) { Content = new FormUrlEncodedContent(fields) });
    }

    /// <summary>The pages reachable from <paramref name="starts"/> by the app's own links (at most 40), with their HTML.</summary>
    private static async Task<Dictionary<string, string>> Crawl(PageClient client, string[] starts)
    {
        var pages = new Dictionary<string, string>();
        var queue = new Queue<string>(starts);
        while (queue.Count > 0 && pages.Count < 40)
        {
            var url = queue.Dequeue();
            if (pages.ContainsKey(url)) continue;
            var response = await client.GetAsync(url);
            if (response.StatusCode != HttpStatusCode.OK || response.Content.Headers.ContentType?.MediaType != "text/html") continue;
            var html = await response.Content.ReadAsStringAsync();
            pages[url] = html;
            foreach (Match link in Link().Matches(html))
            {
                var target = WebUtility.HtmlDecode(link.Groups[1].Value);
                if (target.StartsWith('/') && !target.StartsWith("//") && !target.StartsWith("/signout") && !target.Contains("handler=Download")
                    && !target.EndsWith("/events") && !target.StartsWith("/lib/") && !target.StartsWith("/css/") && !target.StartsWith("/js/")
                    && !target.StartsWith("/_content/") && !target.Contains("favicon") && !target.StartsWith("/signin/github"))
                    queue.Enqueue(target);
            }
        }
        return pages;
    }

    private sealed record Form(string Page, string Method, string Action, Dictionary<string, string> Fields);

    private static IEnumerable<Form> Forms(string page, string html)
    {
        foreach (Match form in FormElement().Matches(html))
        {
            var attributes = Attributes(form.Groups[1].Value);
            var method = attributes.GetValueOrDefault("method", "get").ToLowerInvariant();
            var action = attributes.GetValueOrDefault("hx-post") ?? attributes.GetValueOrDefault("action") ?? page;
            if (action.Length == 0) action = page;
            if (!action.StartsWith('/') || action.StartsWith("/signout")) continue;
            if (attributes.ContainsKey("hx-post")) method = "post";
            var fields = new Dictionary<string, string>();
            var body = form.Groups[2].Value;
            foreach (Match input in Input().Matches(body))
            {
                var a = Attributes(input.Groups[1].Value);
                if (!a.TryGetValue("name", out var name) || a.GetValueOrDefault("type") is "submit" or "button" || a.ContainsKey("disabled")) continue;
                if (a.GetValueOrDefault("type") is "checkbox" or "radio" && !a.ContainsKey("checked")) continue;
                fields.TryAdd(name, a.GetValueOrDefault("value", ""));
            }
            foreach (Match textarea in TextArea().Matches(body))
            {
                if (Attributes(textarea.Groups[1].Value).TryGetValue("name", out var name)) fields.TryAdd(name, WebUtility.HtmlDecode(textarea.Groups[2].Value));
            }
            foreach (Match select in Select().Matches(body))
            {
                if (!Attributes(select.Groups[1].Value).TryGetValue("name", out var name)) continue;
                fields.TryAdd(name, Option().Matches(select.Groups[2].Value).Select(o => Attributes(o.Groups[1].Value))
                    .OrderByDescending(o => o.ContainsKey("selected")).Select(o => o.GetValueOrDefault("value", "")).FirstOrDefault() ?? "");
            }
            yield return new Form(page, method, WebUtility.HtmlDecode(action), fields);
        }
    }

    private static Dictionary<string, string> Attributes(string text) =>
        AttributePair().Matches(text).GroupBy(m => m.Groups[1].Value.ToLowerInvariant())
            .ToDictionary(g => g.Key, g => WebUtility.HtmlDecode(g.First().Groups[3].Success ? g.First().Groups[3].Value : ""));

    [GeneratedRegex("<form\\b([^>]*)>(.*?)</form>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex FormElement();

    [GeneratedRegex("<input\\b([^>]*)>", RegexOptions.IgnoreCase)]
    private static partial Regex Input();

    [GeneratedRegex("<textarea\\b([^>]*)>(.*?)</textarea>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex TextArea();

    [GeneratedRegex("<select\\b([^>]*)>(.*?)</select>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex Select();

    [GeneratedRegex("<option\\b([^>]*)>", RegexOptions.IgnoreCase)]
    private static partial Regex Option();

    [GeneratedRegex("([a-zA-Z_:][-a-zA-Z0-9_:.]*)(=\"([^\"]*)\")?")]
    private static partial Regex AttributePair();

    [GeneratedRegex("href=\"([^\"#]+)\"")]
    private static partial Regex Link();

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*?value=\"([^\"]+)\"")]
    private static partial Regex Token();
}
