using System.Collections.Concurrent;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Workspaces;
using Microsoft.Playwright;

namespace Catalyst.Tests.Hardening;

/// <summary>
/// Every page, loaded in Chromium and used the way a person uses it (htmx swaps, the live log stream), runs under the
/// Content-Security-Policy without one violation, and carries the other security headers.
/// The pages are found by following the app's own links, so a new page is checked as soon as something links to it.
/// </summary>
[Trait("Category", "Browser")]
public sealed class every_page_keeps_its_content_security_policy(BrowserFixture fixture) : BrowserContext(fixture), IDisposable
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();
    private readonly ConcurrentQueue<string> _violations = new();

    public void Dispose() => _sandbox.Dispose();

    // Runs before any script of the page; the browser fires this event for every blocked script, style, frame or connection.
    private const string ListenForViolations = """
        document.addEventListener('securitypolicyviolation', e => {
          const where = e.target && e.target.outerHTML ? e.target.outerHTML.slice(0, 160) : String(e.target);
          console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber + ' (' + e.sample + ') on ' + where);
        });
        """;

    private async Task<IPage> WatchedPage()
    {
        var page = await Fixture.NewPageAsync();
        await page.Context.AddInitScriptAsync(ListenForViolations);
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("CSP violation") || message.Text.Contains("Content Security Policy")) _violations.Enqueue($"{page.Url}: {message.Text}");
        };
        page.Response += (_, response) =>
        {
            if (response.Request.ResourceType != "document") return;
            var headers = response.Headers;
            if (!headers.TryGetValue("content-security-policy", out var csp) || !csp.Contains("script-src 'self'") || !csp.Contains("frame-ancestors 'none'"))
                _violations.Enqueue($"{response.Url}: no Content-Security-Policy");
            if (headers.GetValueOrDefault("x-content-type-options") != "nosniff") _violations.Enqueue($"{response.Url}: no X-Content-Type-Options");
            if (headers.GetValueOrDefault("x-frame-options") != "DENY") _violations.Enqueue($"{response.Url}: no X-Frame-Options");
            if (headers.GetValueOrDefault("referrer-policy") is not ("strict-origin-when-cross-origin" or "no-referrer" or "same-origin" or "strict-origin"))
                _violations.Enqueue($"{response.Url}: no strict Referrer-Policy");
        };
        return page;
    }

    [Fact]
    public async Task no_page_reports_a_violation_and_each_carries_the_security_headers()
    {
        var visited = new List<string>();
        var anonymous = await WatchedPage();
        foreach (var url in new[] { "/signin", "/signup", "/error/404" })
        {
            await anonymous.GotoAsync(url);
            await HtmxSettled(anonymous);
            visited.Add(url);
        }

        var page = await WatchedPage();
        await page.GotoAsync("/signup");
        await page.FillAsync("#Email", $"csp-{Guid.NewGuid():N}@example.com");
        await page.FillAsync("#Password", "a long enough password");
        await page.ClickAsync("button[type=submit]");
        await page.WaitForAddressAsync("**/projects");

        // A project, a credential and a task, through the forms: the htmx swaps of the task form and the live log run too.
        var slug = await ProjectWithScriptAgentFormAsync(page, "Policy", _sandbox.Origin);
        await page.FillAsync("#Instructions", "for i in 1 2 3; do echo \"line $i\"; sleep 0.3; done");
        await page.ClickAsync("button:has-text('Start task')");
        await page.WaitForAddressAsync($"**/projects/{slug}/agents/*");
        await Assertions.Expect(page.Locator("#task-status .badge")).ToHaveTextAsync("completed · no changes", new() { Timeout = 30_000 }); // it commits nothing
        await page.SelectOptionAsync("#level", "warn");
        await page.WaitForAddressAsync("**level=warn*");

        var queue = new Queue<string>(["/projects", "/settings/agents", "/settings/tokens", $"/projects/{slug}"]);
        while (queue.Count > 0 && visited.Count < 40)
        {
            var url = queue.Dequeue();
            if (visited.Contains(url)) continue;
            var response = await page.GotoAsync(url);
            if (response is null || !response.Ok) continue;
            await HtmxSettled(page);
            visited.Add(url);
            var links = await page.EvalOnSelectorAllAsync<string[]>("a[href^='/']", "links => links.map(a => a.getAttribute('href'))");
            foreach (var link in links.Where(l => !l.StartsWith("//") && !l.Contains("handler=Download") && !l.StartsWith("/signin/github")))
                queue.Enqueue(link);
        }

        visited.ShouldContain($"/projects/{slug}/agents/new");
        visited.Count.ShouldBeGreaterThan(8);
        _violations.ShouldBeEmpty(string.Join("\n", _violations));
    }
}
