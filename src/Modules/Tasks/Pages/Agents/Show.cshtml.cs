using System.Text;
using Catalyst.Contracts;
using Catalyst.Web;
using Catalyst.Tasks.Logs;
using Microsoft.AspNetCore.Mvc;
using Wolverine;

namespace Catalyst.Tasks.Pages.Agents;

public sealed class AgentTaskModel(IMessageBus bus, TaskLogReader reader) : CatalystPageModel
{
    private const int PageLines = 1000;

    [BindProperty(SupportsGet = true)] public string Slug { get; set; } = "";
    [BindProperty(SupportsGet = true)] public Guid TaskId { get; set; }
    [BindProperty(SupportsGet = true, Name = "level")] public string? Level { get; set; }

    public AgentTaskDetails Details { get; private set; } = null!;
    public IReadOnlyList<AgentTaskLog> Lines { get; private set; } = [];
    public long LastSequence { get; private set; }
    public bool Truncated { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (!await Load(ct)) return NotFound();
        if (Details.Task.IsParallel) return Redirect($"/projects/{Slug}/agents/{TaskId}/runs"); // its runs side by side
        Level = string.IsNullOrEmpty(Level) ? null : Level;
        var levels = GetAgentTaskLogsHandler.ParseLevels(Level, out var error);
        if (error is not null)
        {
            ModelState.AddModelError("level", error.Message);
            Level = null;
        }
        // The newest lines: the page must stay light for a task with a very long log.
        var total = await reader.CountAsync(TaskId, ct);
        var from = Math.Max(0, total - PageLines);
        Lines = await reader.ReadAsync(TaskId, new TaskLogReader.Filter(from, levels, Limit: PageLines), ct);
        LastSequence = Math.Max(total, Lines.Count > 0 ? Lines[^1].Sequence : 0);
        Truncated = from > 0;
        return Page();
    }

    public async Task<IActionResult> OnGetPanelsAsync(CancellationToken ct)
    {
        if (!await Load(ct)) return NotFound();
        Response.Headers.Vary = "HX-Request";
        return Partial("_TaskPanels", Details);
    }

    public async Task<IActionResult> OnGetDownloadAsync(CancellationToken ct)
    {
        if (!await Load(ct)) return NotFound();
        var text = new StringBuilder();
        long after = 0;
        while (true)
        {
            var page = await reader.ReadAsync(TaskId, new TaskLogReader.Filter(after, Limit: 5000), ct);
            foreach (var l in page) text.Append(l.Sequence).Append('\t').Append(l.Timestamp.ToString("O")).Append('\t').Append(l.LevelName)
                .Append('\t').Append(l.Kind).Append('\t').Append(l.Message).Append('\n');
            if (page.Count < 5000) break;
            after = page[^1].Sequence;
        }
        return File(Encoding.UTF8.GetBytes(text.ToString()), "text/plain; charset=utf-8", $"task-{Catalyst.Tasks.Domain.AgentTask.ShortId(TaskId)}.log");
    }

    public async Task<IActionResult> OnPostCancelAsync(CancellationToken ct)
    {
        var result = await bus.InvokeAsync<Result<AgentTaskView>>(new CancelAgentTask(CurrentUserId, TaskId), ct);
        if (result.IsNotFound) return NotFound();
        // Refused (the task ended meanwhile, or is kept history): the page again, saying why, as a plan decision does.
        if (!result.Succeeded)
        {
            if (!await Load(ct)) return NotFound();
            return Rejected(result);
        }
        return Redirect($"/projects/{Slug}/agents/{TaskId}");
    }

    /// <summary>Notes for the agent when a plan is approved, or the reason when it is rejected.</summary>
    [BindProperty] public string? Notes { get; set; }

    public Task<IActionResult> OnPostApproveAsync(CancellationToken ct) => Decide(new ApproveAgentPlan(CurrentUserId, TaskId, Notes), ct);

    public Task<IActionResult> OnPostRejectAsync(CancellationToken ct) => Decide(new RejectAgentPlan(CurrentUserId, TaskId, Notes), ct);

    private async Task<IActionResult> Decide(object command, CancellationToken ct)
    {
        var result = await bus.InvokeAsync<Result<AgentTaskView>>(command, ct);
        if (!result.Succeeded)
        {
            if (!await Load(ct)) return NotFound();
            return Rejected(result);
        }
        return Redirect($"/projects/{Slug}/agents/{TaskId}");
    }

    public async Task<IActionResult> OnPostRetryAsync(CancellationToken ct)
    {
        var result = await bus.InvokeAsync<Result<AgentTaskCreatedResult>>(new RetryAgentTask(CurrentUserId, TaskId), ct);
        if (result.IsNotFound) return NotFound();
        if (!result.Succeeded)
        {
            if (!await Load(ct)) return NotFound();
            return Rejected(result);
        }
        return Redirect($"/projects/{Slug}/agents/{result.Value!.TaskId}");
    }

    private async Task<bool> Load(CancellationToken ct)
    {
        var details = await bus.InvokeAsync<AgentTaskDetails?>(new GetAgentTask(CurrentUserId, TaskId), ct);
        if (details is null || details.Task.ProjectSlug != Slug) return false;
        // The project says where the branch and commits link to: its GitHub repository, or the diff pages here. A deleted
        // project's is kept on the task (another project may have taken its slug since).
        Details = details with { Project = details.Task.DeletedProjectRef ?? await bus.InvokeAsync<ProjectRef?>(new FindMemberProject(CurrentUserId, Slug), ct) };
        return true;
    }
}
