using Catalyst.Contracts;
using Catalyst.Web;
using Catalyst.Integrations.Projects;
using Microsoft.AspNetCore.Mvc;
using Wolverine;

namespace Catalyst.Integrations.Pages.Projects;

public sealed class EditProjectModel(IMessageBus bus) : CatalystPageModel
{
    [BindProperty(SupportsGet = true)] public string Slug { get; set; } = "";
    [BindProperty] public ProjectForm Form { get; set; } = new();

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        var project = await bus.InvokeAsync<ProjectView?>(new GetProject(CurrentUserId, Slug), ct);
        if (project is null) return NotFound();
        Form = ProjectForm.From(project);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        Form.SlugEditable = false;
        if (!ModelState.IsValid) return InvalidForm();
        var result = await bus.InvokeAsync<Result<ProjectView>>(new EditProject(CurrentUserId, Slug, Form.ToSettings() with { Slug = Slug }), ct);
        if (!result.Succeeded) return Rejected(result, nameof(Form));
        return Redirect($"/projects/{Slug}");
    }
}
