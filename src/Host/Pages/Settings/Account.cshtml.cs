using System.Security.Claims;
using Catalyst.Contracts;
using Catalyst.Web;
using Catalyst.Host.Accounts;
using Microsoft.AspNetCore.Mvc;
using Wolverine;

namespace Catalyst.Host.Pages.Settings;

public sealed class AccountModel(IMessageBus bus) : CatalystPageModel
{
    [BindProperty] public string CurrentPassword { get; set; } = "";
    [BindProperty] public string NewPassword { get; set; } = "";
    public bool Changed { get; private set; }

    public void OnGet() { }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        Guid? session = Guid.TryParse(User.FindFirstValue(AccountSessions.Claim), out var id) ? id : null;
        var result = await bus.InvokeAsync<Result<AccountSummary>>(new ChangePassword(CurrentUserId, session, CurrentPassword, NewPassword), ct);
        if (!result.Succeeded) return Rejected(result);
        ModelState.Clear();
        (CurrentPassword, NewPassword, Changed) = ("", "", true);
        return Page();
    }
}
