using Microsoft.AspNetCore.Http;
using Catalyst.Contracts;
using Catalyst.Web;
using Catalyst.Tasks.Domain;
using Htmx;
using Microsoft.AspNetCore.Mvc;
using Wolverine;

namespace Catalyst.Tasks.Pages.Agents;

public sealed class AgentTasksIndexModel(IMessageBus bus) : CatalystPageModel
{
    public static readonly IReadOnlyList<string> Statuses = Enum.GetValues<AgentTaskStatus>().Select(s => s.Name()).ToList();

    [BindProperty(SupportsGet = true)] public string Slug { get; set; } = "";
    [BindProperty(SupportsGet = true, Name = "status")] public string? Status { get; set; }
    [BindProperty(SupportsGet = true, Name = "type")] public string? Type { get; set; }
    /// <summary>`?p=2`: not `page`, which Razor Pages keeps for the page's own route value ("/Agents/Index").</summary>
    [BindProperty(SupportsGet = true, Name = PageParameter)] public int PageNumber { get; set; } = 1;
    public const string PageParameter = "p";
    public AgentTaskPage Tasks { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        Status = string.IsNullOrEmpty(Status) ? null : Status;
        Type = string.IsNullOrEmpty(Type) ? null : Type;
        var result = await bus.InvokeAsync<Result<AgentTaskPage>>(new ListAgentTasks(CurrentUserId, Slug, Status, Type, PageNumber), ct);
        if (result.IsNotFound) return NotFound();
        if (!result.Succeeded)
        {
            // An unknown filter value: say so, and show the unfiltered list under it.
            foreach (var e in result.Errors) ModelState.AddModelError(e.Field, e.Message);
            Response.StatusCode = StatusCodes.Status400BadRequest;
            Status = Type = null;
            result = await bus.InvokeAsync<Result<AgentTaskPage>>(new ListAgentTasks(CurrentUserId, Slug), ct);
        }
        Tasks = result.Value!;
        Response.Headers.Vary = "HX-Request";
        return Request.IsHtmx() && !Request.IsHtmxBoosted() ? Partial("_TaskTable", this) : Page();
    }

    /// <summary>How long the agent ran (so far, while it runs): "1 min 35 s".</summary>
    public static string Duration(AgentTaskView t, DateTimeOffset now)
    {
        if (t.StartedAt is not { } started) return "";
        var took = (t.EndedAt ?? now) - started;
        if (took < TimeSpan.Zero) took = TimeSpan.Zero;
        return took.TotalHours >= 1 ? $"{(int)took.TotalHours} h {took.Minutes} min"
            : took.TotalMinutes >= 1 ? $"{(int)took.TotalMinutes} min {took.Seconds} s"
            : $"{took.Seconds} s";
    }

    public static string Cost(AgentTaskView t) => t.CostUsd is { } cost ? $"${cost:0.00##}" : "";

    public static string Headline(string instructions)
    {
        var first = instructions.Split('\n', 2)[0].Trim();
        return first.Length > 90 ? first[..87] + "…" : first;
    }
}
