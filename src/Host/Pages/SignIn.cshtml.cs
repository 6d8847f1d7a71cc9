using Catalyst.Contracts;
using Catalyst.Web;
using Catalyst.Host.Accounts;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine;

namespace Catalyst.Host.Pages;

[AllowAnonymous]
public sealed class SignInModel(IMessageBus bus, IConfiguration configuration) : CatalystPageModel
{
    [BindProperty] public string Email { get; set; } = "";
    [BindProperty] public string Password { get; set; } = "";
    [BindProperty(SupportsGet = true)] public string? ReturnUrl { get; set; }

    public bool GitHubEnabled => AccountsModule.GitHubSignInEnabled(configuration);

    /// <summary>Only a local path: a sign-in never sends anyone to another site.</summary>
    public string SafeReturnUrl => ReturnUrl is { Length: > 0 } url && url.StartsWith('/') && !url.StartsWith("//") && !url.StartsWith("/\\") ? url : "/projects";

    public void OnGet() { }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var result = await bus.InvokeAsync<Result<AccountSummary>>(new CheckPassword(Email, Password), ct);
        if (!result.Succeeded) return Rejected(result);
        await AccountsModule.SignInAsync(HttpContext, result.Value!);
        return Redirect(SafeReturnUrl);
    }
}
