using Catalyst.Web;
using Catalyst.Integrations.Projects;
using Wolverine;

namespace Catalyst.Integrations.Pages.Projects;

public sealed class ProjectsIndexModel(IMessageBus bus) : CatalystPageModel
{
    public IReadOnlyList<ProjectView> Projects { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct) =>
        Projects = await bus.InvokeAsync<IReadOnlyList<ProjectView>>(new ListProjects(CurrentUserId), ct);
}
