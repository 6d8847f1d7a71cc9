using Catalyst.Contracts;
using Catalyst.Web;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Wolverine;

namespace Catalyst.Credentials.Pages.Settings.Budgets;

/// <summary>Admins only: each user's monthly budget for model usage through the broker, and what they spent this month.</summary>
public sealed class BudgetsModel(IMessageBus bus) : CatalystPageModel
{
    public sealed record Row(UserRef User, UserBudgetView Budget);

    public IReadOnlyList<Row> Rows { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (!IsAdmin) return StatusCode(StatusCodes.Status403Forbidden);
        await Load(ct);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(Guid userId, long? tokens, decimal? usd, CancellationToken ct)
    {
        if (!IsAdmin) return StatusCode(StatusCodes.Status403Forbidden);
        if (!ModelState.IsValid)
        {
            await Load(ct);
            return InvalidForm();
        }
        var result = await bus.InvokeAsync<Result<UserBudgetView>>(new SetUserBudget(CurrentUserId, userId, tokens, usd), ct);
        if (!result.Succeeded)
        {
            await Load(ct);
            return Rejected(result);
        }
        return RedirectToPage();
    }

    private bool IsAdmin => User.HasClaim(CatalystClaims.IsAdmin, "true");

    private async Task Load(CancellationToken ct)
    {
        var users = await bus.InvokeAsync<IReadOnlyList<UserRef>>(new ListUsers(), ct);
        var budgets = await bus.InvokeAsync<IReadOnlyList<UserBudgetView>>(new ListUserBudgets(users.Select(u => u.Id).ToList()), ct);
        Rows = users.Zip(budgets, (u, b) => new Row(u, b)).ToList();
    }
}
