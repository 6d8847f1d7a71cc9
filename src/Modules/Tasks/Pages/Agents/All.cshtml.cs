using Catalyst.Contracts;
using Catalyst.Web;
using Htmx;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Wolverine;

namespace Catalyst.Tasks.Pages.Agents;

/// <summary>All of a person's tasks across their projects: search and filters.</summary>
public sealed class AllAgentTasksModel(IMessageBus bus) : CatalystPageModel
{
    [BindProperty(SupportsGet = true, Name = "q")] public string? Text { get; set; }
    [BindProperty(SupportsGet = true, Name = "status")] public string? Status { get; set; }
    [BindProperty(SupportsGet = true, Name = "project")] public string? Project { get; set; }
    [BindProperty(SupportsGet = true, Name = AgentTasksIndexModel.PageParameter)] public int PageNumber { get; set; } = 1;
    public AllAgentTasksPage Tasks { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        var result = await bus.InvokeAsync<Result<AllAgentTasksPage>>(new ListAllAgentTasks(CurrentUserId, Text, Status, Project, PageNumber), ct);
        if (!result.Succeeded)
        {
            foreach (var e in result.Errors) ModelState.AddModelError(e.Field, e.Message);
            Response.StatusCode = StatusCodes.Status400BadRequest;
            Status = null;
            result = await bus.InvokeAsync<Result<AllAgentTasksPage>>(new ListAllAgentTasks(CurrentUserId, Text, null, Project), ct);
        }
        Tasks = result.Value!;
        Response.Headers.Vary = "HX-Request";
        return Page();
    }

    public string Query(int page) =>
        $"/tasks?q={Uri.EscapeDataString(Text ?? "")}&status={Uri.EscapeDataString(Status ?? "")}&project={Uri.EscapeDataString(Project ?? "")}&{AgentTasksIndexModel.PageParameter}={page}";
}
