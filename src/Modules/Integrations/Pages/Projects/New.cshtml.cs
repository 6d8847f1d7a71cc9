using Catalyst.Contracts;
using Catalyst.Web;
using Catalyst.Integrations.Projects;
using Microsoft.AspNetCore.Mvc;
using Wolverine;

namespace Catalyst.Integrations.Pages.Projects;

public sealed class NewProjectModel(IMessageBus bus) : CatalystPageModel
{
    [BindProperty] public ProjectForm Form { get; set; } = new();

    public void OnGet() { }

    /// <summary>The form's Check button (also used by the edit form): whether this server reaches the repository, and why not.</summary>
    public async Task<IActionResult> OnPostCheckRepositoryAsync(CancellationToken ct)
    {
        var reach = await bus.InvokeAsync<Catalyst.Integrations.Repositories.RepositoryReach>(
            new Catalyst.Integrations.Repositories.CheckRepositoryReach(Form.RepositoryUrl ?? ""), ct);
        return Content($"<p class=\"alert {(reach.Reachable ? "success" : "error")}\" id=\"repository-reach\" role=\"status\">{System.Net.WebUtility.HtmlEncode(reach.Message)}</p>", "text/html");
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        Form.SlugEditable = true;
        if (!ModelState.IsValid) return InvalidForm();
        var result = await bus.InvokeAsync<Result<ProjectView>>(new CreateProject(CurrentUserId, Form.ToSettings()), ct);
        if (!result.Succeeded) return Rejected(result, nameof(Form));
        return Redirect($"/projects/{result.Value!.Slug}");
    }
}
