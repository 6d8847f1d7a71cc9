using Catalyst.Integrations.GitHub;
using Microsoft.AspNetCore.Mvc;
using Wolverine;

namespace Catalyst.Integrations.Pages.Projects.GitHub;

/// <summary>The open pull requests or issues (two pages, one model).</summary>
public sealed class GitHubListModel(IMessageBus bus, GitHubClients clients, GitHubBrowser browser) : GitHubPageModel(bus, clients)
{
    [BindProperty(SupportsGet = true, Name = "p")] public int PageNumber { get; set; } = 1;
    public GitHubItemPage? Items { get; private set; }
    public bool PullRequests { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        PageNumber = Math.Clamp(PageNumber, 1, 1000);
        var pulls = PullRequests = Request.Path.Value?.TrimEnd('/').EndsWith("/pulls") ?? true;
        return await Load(pulls ? "pull_request" : "issue", async gh => Items = await browser.OpenAsync(gh, pulls, PageNumber), ct) ? Page() : NotFound();
    }
}
