using Catalyst.Contracts;
using Catalyst.Web;
using Catalyst.Integrations.GitHub;
using Microsoft.AspNetCore.Mvc;
using Wolverine;

namespace Catalyst.Integrations.Pages.Projects.GitHub;

public sealed class OpenPullRequestModel(IMessageBus bus) : CatalystPageModel
{
    [BindProperty(SupportsGet = true)] public string Slug { get; set; } = "";
    [BindProperty(SupportsGet = true)] public Guid TaskId { get; set; }

    public IActionResult OnGet() => Redirect($"/projects/{Slug}/agents/{TaskId}");

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var result = await bus.InvokeAsync<Result<string>>(new OpenTaskPullRequest(CurrentUserId, Slug, TaskId), ct);
        return result.Succeeded ? Redirect($"/projects/{Slug}/agents/{TaskId}") : Rejected(result);
    }
}
