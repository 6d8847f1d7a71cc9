using Catalyst.Contracts;
using Catalyst.Web;
using Catalyst.Host.Accounts;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine;

namespace Catalyst.Host.Pages;

[AllowAnonymous]
public sealed class SignUpModel(IMessageBus bus, IConfiguration configuration, SignUpPolicy policy) : CatalystPageModel
{
    [BindProperty] public string Email { get; set; } = "";
    [BindProperty] public string? DisplayName { get; set; }
    [BindProperty] public string Password { get; set; } = "";
    [BindProperty(SupportsGet = true, Name = "invite")] public string? Invitation { get; set; }

    public string Mode => policy.Mode;

    public bool GitHubEnabled => AccountsModule.GitHubSignInEnabled(configuration);

    public void OnGet() { }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var result = await bus.InvokeAsync<Result<AccountSummary>>(new SignUp(Email, Password, DisplayName, Invitation), ct);
        if (!result.Succeeded) return Rejected(result);
        await AccountsModule.SignInAsync(HttpContext, result.Value!);
        return Redirect("/projects");
    }
}
