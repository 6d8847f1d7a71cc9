using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Catalyst.Host.Pages;

[AllowAnonymous]
[IgnoreAntiforgeryToken]
[ResponseCache(Duration = 0, Location = ResponseCacheLocation.None, NoStore = true)]
public sealed class ErrorModel : PageModel
{
    public string Title { get; private set; } = "Something went wrong";
    public string Message { get; private set; } = "Catalyst could not finish this request. It has been logged; try again in a moment.";

    public void OnGet(int? code) => Describe(code);
    public void OnPost(int? code) => Describe(code);

    private void Describe(int? code)
    {
        // Only an error status is ever echoed: /error/-1 or /error/302 asked directly is a page that does not exist.
        if (code is not (null or (>= 400 and <= 599))) code = 404;
        (Title, Message) = code switch
        {
            404 => ("Not found", "There is nothing here, or it belongs to someone else."),
            400 => ("That request was not valid", "The form was incomplete or expired. Reload the page and try again."),
            401 or 403 => ("Sign in needed", "Sign in to see this page."),
            null => (Title, Message),
            _ => ($"Error {code}", Message),
        };
        // A field the input guard refused: its message names the field and says what to do.
        if (code == 400 && HttpContext.Items[FormInputGuard.RefusalKey] is string refusal) (Title, Message) = ("Part of the form cannot be accepted", refusal);
        if (code is not null) Response.StatusCode = code.Value;
    }
}
