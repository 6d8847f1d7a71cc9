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

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        Form.SlugEditable = true;
        if (!ModelState.IsValid) return InvalidForm();
        var result = await bus.InvokeAsync<Result<ProjectView>>(new CreateProject(CurrentUserId, Form.ToSettings()), ct);
        if (!result.Succeeded) return Rejected(result, nameof(Form));
        return Redirect($"/projects/{result.Value!.Slug}");
    }
}
