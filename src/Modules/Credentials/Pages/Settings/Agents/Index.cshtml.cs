using Catalyst.Contracts;
using Catalyst.Web;
using Htmx;
using Microsoft.AspNetCore.Mvc;
using Wolverine;

namespace Catalyst.Credentials.Pages.Settings.Agents;

public sealed class AgentCredentialsModel(IMessageBus bus, TimeProvider clock) : CatalystPageModel
{
    public IReadOnlyList<CredentialView> Credentials { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct) => await Load(ct);

    /// <summary>htmx: the row with the new result; without JavaScript: back to the list, which shows it.</summary>
    public async Task<IActionResult> OnPostTestAsync(Guid id, CancellationToken ct)
    {
        var result = await bus.InvokeAsync<Result<CredentialView>>(new TestAgentCredential(CurrentUserId, id), ct);
        if (result.IsNotFound) return NotFound();
        if (!result.Succeeded)
        {
            var current = await bus.InvokeAsync<CredentialView?>(new GetAgentCredential(CurrentUserId, id), ct);
            if (current is null) return NotFound();
            if (Request.IsHtmxNonBoosted()) return Row(current with { LastTest = new KeyTestResult(KeyTestStatus.Failed, result.ErrorText, clock.GetUtcNow()) });
            await Load(ct);
            return Rejected(result);
        }
        return Request.IsHtmxNonBoosted() ? Row(result.Value!) : RedirectToPage();
    }

    /// <summary>The credential used for its agent when no one picks one (tasks started from GitHub); back to the list, which shows the mark moved.</summary>
    public async Task<IActionResult> OnPostDefaultAsync(Guid id, CancellationToken ct)
    {
        var result = await bus.InvokeAsync<Result<Guid>>(new MarkDefaultAgentCredential(CurrentUserId, id), ct);
        return result.Succeeded ? RedirectToPage() : NotFound();
    }

    /// <summary>htmx: an empty answer that removes the row; without JavaScript: back to the list.</summary>
    public async Task<IActionResult> OnPostDeleteAsync(Guid id, CancellationToken ct)
    {
        var result = await bus.InvokeAsync<Result<Guid>>(new DeleteAgentCredential(CurrentUserId, id), ct);
        if (!result.Succeeded) return NotFound();
        if (!Request.IsHtmxNonBoosted()) return RedirectToPage();
        Response.Headers.Vary = "HX-Request";
        return Content("", "text/html");
    }

    private PartialViewResult Row(CredentialView credential)
    {
        Response.Headers.Vary = "HX-Request";
        return Partial("_CredentialRow", credential);
    }

    private async Task Load(CancellationToken ct) =>
        Credentials = await bus.InvokeAsync<IReadOnlyList<CredentialView>>(new ListAgentCredentials(CurrentUserId), ct);
}
