using Catalyst.Contracts;
using Catalyst.Web;
using Catalyst.Host.Accounts;
using Microsoft.AspNetCore.Mvc;
using Wolverine;

namespace Catalyst.Host.Pages.Settings;

public sealed class TokensModel(IMessageBus bus) : CatalystPageModel
{
    [BindProperty] public string Name { get; set; } = "";
    public IReadOnlyList<ApiTokenView> Tokens { get; private set; } = [];
    public CreatedApiToken? Created { get; private set; }

    public async Task OnGetAsync(CancellationToken ct) => await Load(ct);

    public async Task<IActionResult> OnPostCreateAsync(CancellationToken ct)
    {
        var result = await bus.InvokeAsync<Result<CreatedApiToken>>(new CreateApiToken(CurrentUserId, Name), ct);
        await Load(ct);
        if (!result.Succeeded) return Rejected(result);
        Created = result.Value;
        Name = "";
        ModelState.Clear();
        Response.Headers.CacheControl = "no-store";
        return Page();
    }

    public async Task<IActionResult> OnPostRevokeAsync(Guid id, CancellationToken ct)
    {
        var result = await bus.InvokeAsync<Result<ApiTokenView>>(new RevokeApiToken(CurrentUserId, id), ct);
        if (!result.Succeeded) return Rejected(result);
        return RedirectToPage();
    }

    private async Task Load(CancellationToken ct) => Tokens = await bus.InvokeAsync<IReadOnlyList<ApiTokenView>>(new ListApiTokens(CurrentUserId), ct);
}
