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
    public IReadOnlyList<AgentTaskLine> RecentTasks { get; private set; } = [];
    /// <summary>Who started the recent tasks (members or former members).</summary>
    public IReadOnlyDictionary<Guid, UserRef> Starters { get; private set; } = new Dictionary<Guid, UserRef>();

    public async Task<IActionResult> OnGetAsync(CancellationToken ct) => await Load(ct) ? Page() : NotFound();

    public async Task<IActionResult> OnPostAddMemberAsync(CancellationToken ct)
    {
        var result = await bus.InvokeAsync<Result<ProjectView>>(new AddProjectMember(CurrentUserId, Slug, Email), ct);
        if (!await Load(ct)) return NotFound();
        if (!result.Succeeded) return Rejected(result);
        return Redirect($"/projects/{Slug}");
    }

    public async Task<IActionResult> OnPostRemoveMemberAsync(Guid memberId, CancellationToken ct)
    {
        var result = await bus.InvokeAsync<Result<ProjectView>>(new RemoveProjectMember(CurrentUserId, Slug, memberId), ct);
        if (result.IsNotFound) return NotFound();
        if (!await Load(ct)) return NotFound();
        if (!result.Succeeded) return Rejected(result);
        // Removing oneself leaves the project: its page is not theirs any more.
        return Redirect(memberId == CurrentUserId ? "/projects" : $"/projects/{Slug}");
    }

    public static string Duration(AgentTaskLine t, DateTimeOffset now)
    {
        if (t.StartedAt is not { } started) return "";
        var took = (t.EndedAt ?? now) - started;
        return took.TotalHours >= 1 ? $"{(int)took.TotalHours} h {took.Minutes} min" : took.TotalMinutes >= 1 ? $"{(int)took.TotalMinutes} min {took.Seconds} s" : $"{Math.Max(0, took.Seconds)} s";
    }

    private async Task<bool> Load(CancellationToken ct)
    {
        var project = await bus.InvokeAsync<ProjectView?>(new GetProject(CurrentUserId, Slug), ct);
        if (project is null) return false;
        Project = project;
        Members = (await bus.InvokeAsync<UserDescriptions>(new DescribeUsers(project.MemberIds), ct)).Users;
        RecentTasks = await bus.InvokeAsync<IReadOnlyList<AgentTaskLine>>(new ListRecentAgentTasks(CurrentUserId, project.Id), ct);
        Starters = (await bus.InvokeAsync<UserDescriptions>(new DescribeUsers(RecentTasks.Select(t => t.CreatedBy).Distinct().ToList()), ct)).Users;
        return true;
    }
}
