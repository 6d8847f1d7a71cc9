using Catalyst.Contracts;
using Catalyst.Web;
using Catalyst.Host.Accounts;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine;

namespace Catalyst.Host.Pages;

[AllowAnonymous]
public sealed class SignUpModel(IMessageBus bus, IConfiguration configuration) : CatalystPageModel
{
    [BindProperty] public string Email { get; set; } = "";
    [BindProperty] public string? DisplayName { get; set; }
    [BindProperty] public string Password { get; set; } = "";

    public bool GitHubEnabled => AccountsModule.GitHubSignInEnabled(configuration);

    public void OnGet() { }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var result = await bus.InvokeAsync<Result<AccountSummary>>(new RegisterAccount(Email, Password, DisplayName), ct);
        if (!result.Succeeded) return Rejected(result);
        await AccountsModule.SignInAsync(HttpContext, result.Value!);
        return Redirect("/projects");
    }
}
