using Catalyst.Integrations.GitHub;
using Microsoft.AspNetCore.Mvc;
using Wolverine;

namespace Catalyst.Integrations.Pages.Projects.GitHub;

/// <summary>A pull request or an issue (two pages, one model): what it says, and "Invoke agent" with it as the task's context.</summary>
public sealed class GitHubItemModel(IMessageBus bus, GitHubClients clients, GitHubBrowser browser) : GitHubPageModel(bus, clients)
{
    [BindProperty(SupportsGet = true)] public int Number { get; set; }
    public GitHubItemDetails? Item { get; private set; }
    public bool IsPullRequest { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        IsPullRequest = Request.Path.Value?.Contains("/pulls/") ?? false;
        return await Load(IsPullRequest ? "pull_request" : "issue", async gh => Item = await browser.DetailsAsync(gh, IsPullRequest, Number), ct) ? Page() : NotFound();
    }

    /// <summary>The task form, pre-filled: the type, the context, and instructions to edit.</summary>
    public string InvokeUrl => IsPullRequest
        ? $"/projects/{Slug}/agents/new?Type=pr-review&ContextKind=pull_request&ContextNumber={Number}&Instructions={Uri.EscapeDataString($"Review pull request #{Number}: {Item?.Title}. Point out bugs, risks and missing tests, with file and line.")}"
        : $"/projects/{Slug}/agents/new?Type=issue-fix&ContextKind=issue&ContextNumber={Number}&Instructions={Uri.EscapeDataString($"Fix issue #{Number}: {Item?.Title}. Add a test that fails without the fix.")}";
}
