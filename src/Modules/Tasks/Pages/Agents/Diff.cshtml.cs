using Catalyst.Contracts;
using Catalyst.Web;
using Microsoft.AspNetCore.Mvc;
using Wolverine;

namespace Catalyst.Tasks.Pages.Agents;

/// <summary>What a task changed: its work branch against the project's default branch, or one of its commits.</summary>
public sealed class AgentTaskDiffModel(IMessageBus bus) : CatalystPageModel
{
    [BindProperty(SupportsGet = true)] public string Slug { get; set; } = "";
    [BindProperty(SupportsGet = true)] public Guid TaskId { get; set; }
    /// <summary>One of the task's commits; empty: the whole branch.</summary>
    [BindProperty(SupportsGet = true, Name = "commit")] public string? Commit { get; set; }

    public AgentTaskView Task { get; private set; } = null!;
    public ProjectRef Project { get; private set; } = null!;
    public CommitInfo? ShownCommit { get; private set; }
    public RepositoryDiff Diff { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(CancellationToken ct) => await Load(ct) ? Page() : NotFound();

    /// <summary>The file list with counts alone: what the parallel runs page shows in each run's column.</summary>
    public async Task<IActionResult> OnGetSummaryAsync(CancellationToken ct)
    {
        if (!await Load(ct)) return NotFound();
        Response.Headers.Vary = "HX-Request";
        return Partial("_DiffSummary", View);
    }

    private async Task<bool> Load(CancellationToken ct)
    {
        var details = await bus.InvokeAsync<AgentTaskDetails?>(new GetAgentTask(CurrentUserId, TaskId), ct);
        var project = details?.Task.DeletedProjectRef ?? await bus.InvokeAsync<ProjectRef?>(new FindMemberProject(CurrentUserId, Slug), ct);
        if (details is null || project is null || details.Task.ProjectSlug != project.Slug) return false;
        (Task, Project) = (details.Task, project);
        if (!string.IsNullOrEmpty(Commit))
        {
            // Only the task's own commits: this page shows what the task did, not the repository at large.
            ShownCommit = Task.Commits.FirstOrDefault(c => c.Sha.StartsWith(Commit, StringComparison.OrdinalIgnoreCase) && Commit.Length >= 7);
            if (ShownCommit is null) return false;
            Diff = await bus.InvokeAsync<RepositoryDiff>(new ReadRepositoryDiff(project.Id, null, ShownCommit.Sha) { RepositoryUrl = KeptRepository }, ct);
        }
        else
        {
            Diff = Task.BranchPushed
                ? await bus.InvokeAsync<RepositoryDiff>(new ReadRepositoryDiff(project.Id, project.DefaultBranch, Task.WorkBranch) { RepositoryUrl = KeptRepository }, ct)
                : new RepositoryDiff([], Task.IsFinished ? "The work branch was not pushed, so there is nothing to compare." : "The branch is pushed when the agent has finished.");
        }
        return true;
    }

    /// <summary>A task of a deleted project reads its changes from the repository kept on it, while that still exists.</summary>
    private string? KeptRepository => Task.DeletedProject?.RepositoryUrl;

    /// <summary>The diff as the partials show it, its files linked to where they are shown in full.</summary>
    public DiffView View => new(Diff, $"/projects/{Slug}/agents/{TaskId}/diff{(ShownCommit is { } c ? $"?commit={c.Sha}" : "")}");

    /// <summary>Links to a task's changes: on GitHub when the project has a GitHub repository, here otherwise.</summary>
    public static string BranchLink(ProjectRef project, AgentTaskView task) => project.GitHubRepository is { Length: > 0 } gh
        ? $"https://github.com/{gh}/compare/{Uri.EscapeDataString(project.DefaultBranch)}...{Uri.EscapeDataString(task.WorkBranch)}"
        : $"/projects/{project.Slug}/agents/{task.Id}/diff";

    public static string CommitLink(ProjectRef project, AgentTaskView task, string sha) => project.GitHubRepository is { Length: > 0 } gh
        ? $"https://github.com/{gh}/commit/{sha}"
        : $"/projects/{project.Slug}/agents/{task.Id}/diff?commit={sha}";
}

/// <summary>
/// A diff as the partials show it: the page its files are shown in full on (empty: this page), the prefix that keeps the ids
/// of its files apart from another diff's on the same page, and the size above which a file starts collapsed.
/// </summary>
public sealed record DiffView(RepositoryDiff Diff, string Page = "", string IdPrefix = "", int CollapseAbove = 400)
{
    public string FileId(int index) => $"{IdPrefix}file-{index}";
    public string FileLink(int index) => $"{Page}#{FileId(index)}";
}
