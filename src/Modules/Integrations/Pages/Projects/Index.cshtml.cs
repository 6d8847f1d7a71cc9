using Catalyst.Web;
using Catalyst.Integrations.Projects;
using Wolverine;

namespace Catalyst.Integrations.Pages.Projects;

public sealed class ProjectsIndexModel(IMessageBus bus) : CatalystPageModel
{
    public IReadOnlyList<ProjectView> Projects { get; private set; } = [];
    public IReadOnlyList<ProjectView> Active => Projects.Where(p => !p.IsArchived).ToList();
    /// <summary>Archived projects are listed apart, after the ones in use.</summary>
    public IReadOnlyList<ProjectView> Archived => Projects.Where(p => p.IsArchived).ToList();

    public async Task OnGetAsync(CancellationToken ct) =>
        Projects = await bus.InvokeAsync<IReadOnlyList<ProjectView>>(new ListProjects(CurrentUserId), ct);
}
