using System.Security.Claims;
using Catalyst.Contracts;
using Catalyst.Web;
using Catalyst.Host.Accounts;
using Marten;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Wolverine;

namespace Catalyst.Host.Pages.Settings;

public sealed class AccountModel(IMessageBus bus, IQuerySession query, IConfiguration configuration) : CatalystPageModel
{
    [BindProperty] public string CurrentPassword { get; set; } = "";
    [BindProperty] public string NewPassword { get; set; } = "";
    public bool Changed { get; private set; }

    /// <summary>The linked GitHub login, or null.</summary>
    public string? GitHubLogin { get; private set; }
    public bool GitHubAvailable => AccountsModule.GitHubSignInEnabled(configuration);

    /// <summary>What became of the last link or unlink (from the OAuth callback's redirect); null when nothing is to be said.</summary>
    public (bool Ok, string Text)? GitHubNotice { get; private set; }

    public async Task OnGetAsync(string? github, CancellationToken ct)
    {
        GitHubNotice = github switch
        {
            "linked" => (true, "Your GitHub login is linked. Comments you write on a connected repository can now start tasks."),
            "unlinked" => (true, "Your GitHub login is unlinked."),
            "taken" => (false, GitHubLinkHandler.Taken),
            "failed" => (false, "GitHub did not confirm a link started from this page, so nothing was linked. Press “Link GitHub account” to try again."),
            _ => null,
        };
        await LoadGitHub(ct);
    }

    /// <summary>Off to GitHub's authorize page; the state carries who asked, the callback links (see AccountsModule).</summary>
    public IActionResult OnPostLinkGitHub()
    {
        if (!GitHubAvailable) return NotFound();
        var properties = new AuthenticationProperties { RedirectUri = "/settings/account" };
        properties.Items[AccountsModule.LinkingUser] = CurrentUserId.ToString();
        return Challenge(properties, AccountsModule.GitHubLinkScheme);
    }

    public async Task<IActionResult> OnPostUnlinkGitHubAsync(CancellationToken ct)
    {
        var result = await bus.InvokeAsync<Result<string>>(new UnlinkGitHubAccount(CurrentUserId), ct);
        if (result.IsNotFound) return RedirectToPage();
        if (!result.Succeeded)
        {
            GitHubNotice = (false, result.ErrorText);
            await LoadGitHub(ct);
            Response.StatusCode = StatusCodes.Status409Conflict;
            return Page();
        }
        return RedirectToPage(new { github = "unlinked" });
    }

    private async Task LoadGitHub(CancellationToken ct) =>
        GitHubLogin = (await query.LoadAsync<CatalystUser>(CurrentUserId, ct))?.GitHubLogin;

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        Guid? session = Guid.TryParse(User.FindFirstValue(AccountSessions.Claim), out var id) ? id : null;
        var result = await bus.InvokeAsync<Result<AccountSummary>>(new ChangePassword(CurrentUserId, session, CurrentPassword, NewPassword), ct);
        await LoadGitHub(ct);
        if (!result.Succeeded) return Rejected(result);
        ModelState.Clear();
        (CurrentPassword, NewPassword, Changed) = ("", "", true);
        return Page();
    }
}
