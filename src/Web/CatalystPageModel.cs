using Catalyst.Contracts;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Catalyst.Web;

/// <summary>What every screen needs: who is asking, and how a failed command becomes a 400 page or a 404.</summary>
public abstract class CatalystPageModel : PageModel
{
    protected Guid CurrentUserId => User.UserId();
    protected bool CurrentUserIsAdmin => User.HasClaim(CatalystClaims.IsAdmin, "true");

    /// <summary>Not found stays a 404 (never "forbidden": another user's things do not exist for you); forbidden is for what the caller sees but may not do; anything else is a 400 with the messages beside the fields.</summary>
    protected IActionResult Rejected<T>(Result<T> result, string? prefix = null)
    {
        if (result.IsNotFound) return NotFound();
        if (result.IsForbidden) return StatusCode(StatusCodes.Status403Forbidden);
        foreach (var error in result.Errors) ModelState.AddModelError(prefix is null || error.Field.Length == 0 ? error.Field : $"{prefix}.{error.Field}", error.Message);
        Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }

    protected IActionResult InvalidForm()
    {
        Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }
}
