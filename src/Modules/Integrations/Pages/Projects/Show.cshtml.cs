using Catalyst.Contracts;
using Catalyst.Web;
using Catalyst.Integrations.Projects;
using Microsoft.AspNetCore.Mvc;
using Wolverine;

namespace Catalyst.Integrations.Pages.Projects;

public sealed class ShowProjectModel(IMessageBus bus) : CatalystPageModel
{
    [BindProperty(SupportsGet = true)] public string Slug { get; set; } = "";
    [BindProperty] public string Email { get; set; } = "";
    public ProjectView Project { get; private set; } = null!;
    public IReadOnlyDictionary<Guid, UserRef> Members { get; private set; } = new Dictionary<Guid, UserRef>();

    public async Task<IActionResult> OnGetAsync(CancellationToken ct) => await Load(ct) ? Page() : NotFound();

    public async Task<IActionResult> OnPostAddMemberAsync(CancellationToken ct)
    {
        var result = await bus.InvokeAsync<Result<ProjectView>>(new AddProjectMember(CurrentUserId, Slug, Email), ct);
        if (!await Load(ct)) return NotFound();
        if (!result.Succeeded) return Rejected(result);
        return Redirect($"/projects/{Slug}");
    }

    private async Task<bool> Load(CancellationToken ct)
    {
        var project = await bus.InvokeAsync<ProjectView?>(new GetProject(CurrentUserId, Slug), ct);
        if (project is null) return false;
        Project = project;
        Members = (await bus.InvokeAsync<UserDescriptions>(new DescribeUsers(project.MemberIds), ct)).Users;
        return true;
    }
}
