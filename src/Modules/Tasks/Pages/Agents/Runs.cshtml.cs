using Catalyst.Contracts;
using Catalyst.Web;
using Htmx;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Wolverine;

namespace Catalyst.Tasks.Pages.Agents;

/// <summary>A request for parallel runs: its runs side by side, live, with a button to pick the run that is the result.</summary>
public sealed class ParallelRunsModel(IMessageBus bus) : CatalystPageModel
{
    /// <summary>Answered to a poll when no run is going any more: htmx stops polling on it (and still swaps the content).</summary>
    public const int StopPolling = 286;

    [BindProperty(SupportsGet = true)] public string Slug { get; set; } = "";
    [BindProperty(SupportsGet = true)] public Guid TaskId { get; set; }
    [BindProperty] public Guid RunId { get; set; }

    public ParallelRunsDetails Details { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (!await Load(ct)) return NotFound();
        return Page();
    }

    /// <summary>The live part of the page (status, result, the runs), refreshed by htmx while runs go and on every change.</summary>
    public async Task<IActionResult> OnGetPanelsAsync(CancellationToken ct)
    {
        if (!await Load(ct)) return NotFound();
        Response.Headers.Vary = "HX-Request";
        if (Request.IsHtmx() && !Details.AnyRunGoing) Response.StatusCode = StopPolling;
        return Partial("_ParallelRuns", Details);
    }

    public async Task<IActionResult> OnPostChooseAsync(CancellationToken ct)
    {
        var result = await bus.InvokeAsync<Result<AgentTaskView>>(new ChooseAgentRun(CurrentUserId, TaskId, RunId), ct);
        if (result.IsNotFound) return NotFound();
        if (!result.Succeeded)
        {
            if (!await Load(ct)) return NotFound();
            return Rejected(result);
        }
        return Redirect($"/projects/{Slug}/agents/{TaskId}/runs");
    }

    public async Task<IActionResult> OnPostCancelAsync(CancellationToken ct)
    {
        var result = await bus.InvokeAsync<Result<AgentTaskView>>(new CancelAgentTask(CurrentUserId, TaskId), ct);
        if (result.IsNotFound) return NotFound();
        if (!result.Succeeded)
        {
            if (!await Load(ct)) return NotFound();
            return Rejected(result);
        }
        return Redirect($"/projects/{Slug}/agents/{TaskId}/runs");
    }

    private async Task<bool> Load(CancellationToken ct)
    {
        var details = await bus.InvokeAsync<ParallelRunsDetails?>(new GetParallelRuns(CurrentUserId, TaskId), ct);
        if (details is null || details.Task.ProjectSlug != Slug) return false;
        if ((details.Task.DeletedProjectRef ?? await bus.InvokeAsync<ProjectRef?>(new FindMemberProject(CurrentUserId, Slug), ct)) is not { } project) return false;
        // Each run's changes against the default branch, read once its branch is pushed: a person picks a run on its code.
        var diffs = new Dictionary<Guid, RepositoryDiff>();
        foreach (var run in details.Runs.Select(c => c.Run).Where(r => r.IsFinished && r.BranchPushed))
            diffs[run.Id] = await bus.InvokeAsync<RepositoryDiff>(new ReadRepositoryDiff(project.Id, project.DefaultBranch, run.WorkBranch) { RepositoryUrl = details.Task.DeletedProject?.RepositoryUrl }, ct);
        Details = details with { Diffs = diffs };
        return true;
    }
}
