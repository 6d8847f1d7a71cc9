using Catalyst.Contracts;
using Catalyst.Web;
using Catalyst.Host.Accounts;
using Microsoft.AspNetCore.Mvc;
using Wolverine;

namespace Catalyst.Host.Pages.Settings;

/// <summary>The accounts of this Catalyst, for its admins: disable one, make one an admin.</summary>
public sealed class UsersModel(IMessageBus bus, SignUpPolicy policy) : CatalystPageModel
{
    public IReadOnlyList<AccountView> Accounts { get; private set; } = [];
    [BindProperty] public string? InviteEmail { get; set; }
    public CreatedInvitation? Invited { get; private set; }
    public string InvitationLink => Invited is null ? "" : $"{Request.Scheme}://{Request.Host}/signup?invite={Invited.Token}";
    public string SignUpMode => policy.Mode;

    public async Task<IActionResult> OnPostInviteAsync(CancellationToken ct)
    {
        var result = await bus.InvokeAsync<Result<CreatedInvitation>>(new CreateInvitation(CurrentUserId, InviteEmail), ct);
        if (result.IsNotFound || !await Load(ct)) return NotFound();
        if (!result.Succeeded) return Rejected(result);
        Invited = result.Value;
        InviteEmail = null;
        ModelState.Clear();
        return Page();
    }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct) => await Load(ct) ? Page() : NotFound();

    public Task<IActionResult> OnPostDisableAsync(Guid id, CancellationToken ct) => Act(new DisableAccount(CurrentUserId, id, true), ct);
    public Task<IActionResult> OnPostEnableAsync(Guid id, CancellationToken ct) => Act(new DisableAccount(CurrentUserId, id, false), ct);
    public Task<IActionResult> OnPostMakeAdminAsync(Guid id, CancellationToken ct) => Act(new MakeAdmin(CurrentUserId, id, true), ct);
    public Task<IActionResult> OnPostRemoveAdminAsync(Guid id, CancellationToken ct) => Act(new MakeAdmin(CurrentUserId, id, false), ct);

    private async Task<IActionResult> Act(object command, CancellationToken ct)
    {
        var result = await bus.InvokeAsync<Result<AccountSummary>>(command, ct);
        if (result.IsNotFound) return NotFound();
        if (!result.Succeeded)
        {
            if (!await Load(ct)) return NotFound();
            return Rejected(result);
        }
        return RedirectToPage();
    }

    private async Task<bool> Load(CancellationToken ct)
    {
        var result = await bus.InvokeAsync<Result<IReadOnlyList<AccountView>>>(new ListAccounts(CurrentUserId), ct);
        if (!result.Succeeded) return false;
        Accounts = result.Value!;
        return true;
    }
}
