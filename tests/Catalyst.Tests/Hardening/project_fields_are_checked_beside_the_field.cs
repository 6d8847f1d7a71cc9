using System.Net;
using System.Text.RegularExpressions;
using Catalyst.Tests.Infrastructure;

namespace Catalyst.Tests.Hardening;

public sealed partial class project_fields_are_checked_beside_the_field(AppFixture fixture) : IntegrationContext(fixture)
{
    private static Dictionary<string, string> Form(string slug) => new()
    {
        ["Form.Name"] = "Project", ["Form.Slug"] = slug, ["Form.RepositoryUrl"] = "https://example.com/acme/app.git",
        ["Form.DefaultBranch"] = "main", ["Form.TimeoutSeconds"] = "600", ["Form.MaxConcurrentTasks"] = "2",
    };

    [GeneratedRegex("data-valmsg-for=\"([^\"]+)\"[^>]*>([^<]*)<")]
    private static partial Regex FieldMessages();

    private static List<string> Messages(string html, string field) =>
        FieldMessages().Matches(html).Where(m => m.Groups[1].Value == field && m.Groups[2].Value.Length > 0)
            .Select(m => WebUtility.HtmlDecode(m.Groups[2].Value)).ToList();

    [Theory]
    [InlineData("-x")]
    [InlineData("--upload-pack=touch")]
    [InlineData("main.lock")]
    [InlineData("a..b")]
    [InlineData(".hidden")]
    public async Task a_default_branch_git_would_not_take_as_a_branch_is_refused(string branch)
    {
        using var ada = await SignedUp("ada@example.com");
        var form = Form("branchy");
        form["Form.DefaultBranch"] = branch;

        var response = await ada.PostFormAsync("/projects/new", form);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        Messages(await response.Content.ReadAsStringAsync(), "Form.DefaultBranch").ShouldHaveSingleItem().ShouldContain("not starting with a dash");
        (await ada.GetHtmlAsync("/projects")).ShouldNotContain("/projects/branchy");
    }

    [Theory]
    [InlineData("Form.TimeoutSeconds", "The task timeout must be between 5 and 86400 seconds.")]
    [InlineData("Form.MaxConcurrentTasks", "Concurrent tasks must be between 1 and 100.")]
    public async Task an_emptied_number_field_gets_one_message_in_words(string field, string message)
    {
        using var ada = await SignedUp("ada@example.com");
        var form = Form("numbers");
        form[field] = "";

        var response = await ada.PostFormAsync("/projects/new", form);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var html = await response.Content.ReadAsStringAsync();
        Messages(html, field).ShouldBe([message]);
        html.ShouldNotContain("is invalid");
        Regex.Matches(WebUtility.HtmlDecode(html), Regex.Escape(message)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task a_nul_in_a_field_is_a_400_naming_it_and_nothing_reaches_the_database()
    {
        using var ada = await SignedUp("ada@example.com");
        var form = Form("nul-in-its-name");
        form["Form.Name"] = "Bad\0name";

        var response = await ada.PostFormAsync("/projects/new", form);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        html.ShouldContain("“Name” contains a NUL character");
        html.ShouldNotContain("It has been logged");
        // The slug, as a link would carry it: a bare "nul" can turn up in any page's antiforgery token.
        (await ada.GetHtmlAsync("/projects")).ShouldNotContain("/projects/nul-in-its-name");
        Fixture.Logs.Lines.ShouldNotContain(l => l.Contains("22P05") || l.Contains("22021"));
    }

    [Fact]
    public async Task every_page_carries_the_security_headers()
    {
        using var ada = await SignedUp("ada@example.com");
        foreach (var url in new[] { "/projects", "/projects/new", "/settings/tokens", "/settings/agents", "/error/404" })
        {
            var response = await ada.GetAsync(url);
            var csp = response.Headers.GetValues("Content-Security-Policy").ShouldHaveSingleItem();
            csp.ShouldContain("script-src 'self'");
            csp.ShouldContain("style-src 'self'");
            csp.ShouldContain("frame-ancestors 'none'");
            csp.ShouldNotContain("unsafe-inline");
            response.Headers.GetValues("X-Content-Type-Options").ShouldBe(["nosniff"]);
            response.Headers.GetValues("X-Frame-Options").ShouldBe(["DENY"]);
            response.Headers.GetValues("Referrer-Policy").ShouldBe(["strict-origin-when-cross-origin"]);
            var html = await response.Content.ReadAsStringAsync();
            // Nothing inline for the policy to refuse: no script body, no event handler attribute, no style attribute.
            Regex.IsMatch(html, "<script(?![^>]*\\bsrc=)[^>]*>", RegexOptions.IgnoreCase).ShouldBeFalse(url);
            Regex.IsMatch(html, "\\son[a-z]+=\"", RegexOptions.IgnoreCase).ShouldBeFalse(url);
            Regex.IsMatch(html, "\\sstyle=\"", RegexOptions.IgnoreCase).ShouldBeFalse(url);
        }
    }
}
