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
    /// <summary>The delete form: the slug typed to confirm, and "keep" or "delete" for the tasks' history (nothing chosen beforehand).</summary>
    [BindProperty] public string? ConfirmSlug { get; set; }
    [BindProperty] public string? TaskHistory { get; set; }
    public ProjectView Project { get; private set; } = null!;
    /// <summary>Archive, unarchive and delete are offered to the project's creator and to admins.</summary>
    public bool CanRemove => Project.CreatedBy == CurrentUserId || CurrentUserIsAdmin;

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (!await Load(ct)) return NotFound();
        Form = ProjectForm.From(Project);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        Form.SlugEditable = false;
        if (!await Load(ct)) return NotFound();
        if (!ModelState.IsValid) return InvalidForm();
        var result = await bus.InvokeAsync<Result<ProjectView>>(new EditProject(CurrentUserId, Slug, Form.ToSettings() with { Slug = Slug }), ct);
        if (!result.Succeeded) return Rejected(result, nameof(Form));
        return Redirect($"/projects/{Slug}");
    }

    public Task<IActionResult> OnPostArchiveAsync(CancellationToken ct) =>
        Remove(new ArchiveProject(CurrentUserId, CurrentUserIsAdmin, Slug), $"/projects/{Slug}", ct);

    public Task<IActionResult> OnPostUnarchiveAsync(CancellationToken ct) =>
        Remove(new UnarchiveProject(CurrentUserId, CurrentUserIsAdmin, Slug), $"/projects/{Slug}", ct);

    public Task<IActionResult> OnPostDeleteAsync(CancellationToken ct) =>
        Remove(new DeleteProject(CurrentUserId, CurrentUserIsAdmin, Slug, ConfirmSlug, TaskHistory), "/projects", ct);

    private async Task<IActionResult> Remove(object command, string then, CancellationToken ct)
    {
        var result = await bus.InvokeAsync<Result<ProjectView>>(command, ct);
        if (result.Succeeded) return Redirect(then);
        // The settings form was not what was posted: show it as stored, with the answer beside the danger zone.
        ModelState.Clear();
        if (result.IsNotFound || !await Load(ct)) return NotFound();
        Form = ProjectForm.From(Project);
        return Rejected(result);
    }

    private async Task<bool> Load(CancellationToken ct)
    {
        if (await bus.InvokeAsync<ProjectView?>(new GetProject(CurrentUserId, Slug), ct) is not { } project) return false;
        Project = project;
        return true;
    }
}
