using Catalyst.Contracts;
using Catalyst.Web;
using Microsoft.AspNetCore.Mvc;
using Wolverine;

namespace Catalyst.Tasks.Pages.Agents;

public sealed class NewAgentTaskModel(IMessageBus bus) : CatalystPageModel
{
    [BindProperty(SupportsGet = true)] public string Slug { get; set; } = "";
    /// <summary>An archived project takes no new tasks: the page says so before anyone fills the form in.</summary>
    public bool Archived { get; private set; }
    [BindProperty(SupportsGet = true)] public string Type { get; set; } = "feature-dev";
    [BindProperty(SupportsGet = true)] public string? Provider { get; set; }
    [BindProperty] public Guid? CredentialId { get; set; }
    [BindProperty(SupportsGet = true)] public string Instructions { get; set; } = "";
    /// <summary>"Invoke agent" on a pull request or issue page: the task is about it, and the agent gets its snapshot.</summary>
    [BindProperty(SupportsGet = true)] public string? ContextKind { get; set; }
    [BindProperty(SupportsGet = true)] public int? ContextNumber { get; set; }
    public TaskContext? Context => ContextKind is "pull_request" or "issue" ? new TaskContext(ContextKind, ContextNumber) : null;
    [BindProperty] public bool PlanFirst { get; set; }
    /// <summary>Lower than the project's per-task budget, for this task only; empty: the project's.</summary>
    [BindProperty] public long? BudgetTokens { get; set; }
    [BindProperty] public decimal? BudgetUsd { get; set; }
    /// <summary>How many times the chosen agent runs: 1 is a single task, 2–5 a parallel request whose runs are compared.</summary>
    [BindProperty] public int Runs { get; set; } = 1;

    public IReadOnlyList<AgentProviderInfo> Providers { get; private set; } = [];
    public IReadOnlyList<CredentialRef> Credentials { get; private set; } = [];

    public ProviderPicker Picker => new(Providers, nameof(Provider), Provider,
        ModelState.TryGetValue(nameof(Provider), out var entry) ? entry.Errors.FirstOrDefault()?.ErrorMessage : null);

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (!await Load(ct)) return NotFound();
        Provider ??= Credentials.FirstOrDefault()?.Provider ?? Providers.FirstOrDefault()?.Name;
        return Page();
    }

    /// <summary>The credential options for the chosen agent (htmx swaps them in when the agent changes).</summary>
    public async Task<IActionResult> OnGetCredentialsAsync(CancellationToken ct)
    {
        if (!await Load(ct)) return NotFound();
        return Partial("_CredentialOptions", this);
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (!await Load(ct)) return NotFound();
        // A checkbox posted as anything but true/false: say so beside it, and show it unticked (the tag helper
        // cannot render a checkbox from "yes").
        if (ModelState[nameof(PlanFirst)] is { Errors.Count: > 0 })
        {
            ModelState.Remove(nameof(PlanFirst));
            ModelState.SetModelValue(nameof(PlanFirst), "false", "false");
            ModelState.AddModelError(nameof(PlanFirst), "Plan first is a checkbox: send true or false.");
        }
        if (!ModelState.IsValid) return InvalidForm();
        if (Runs != 1 && PlanFirst)
        {
            ModelState.AddModelError(nameof(PlanFirst), "Plan first works with a single run: choose 1 run, or untick Plan first.");
            return InvalidForm();
        }
        if (Runs != 1) return await StartParallel(ct);
        var result = await bus.InvokeAsync<Result<AgentTaskCreatedResult>>(
            new CreateAgentTask(CurrentUserId, Slug, Type, Instructions, Provider ?? "", CredentialId, Context: Context, PlanFirst: PlanFirst,
                Budget: BudgetTokens is null && BudgetUsd is null ? null : new TaskBudget(BudgetTokens, BudgetUsd), Origin: TaskOrigin.Page), ct);
        if (!result.Succeeded) return Rejected(result);
        return Redirect($"/projects/{Slug}/agents/{result.Value!.TaskId}");
    }

    /// <summary>The chosen agent N times: each run's mistakes are the same, so each is shown once, beside its field.</summary>
    private async Task<IActionResult> StartParallel(CancellationToken ct)
    {
        var run = new ParallelRunRequest(Provider ?? "", CredentialId);
        var result = await bus.InvokeAsync<Result<AgentTaskCreatedResult>>(
            new CreateParallelAgentTask(CurrentUserId, Slug, Type, Instructions, Enumerable.Repeat(run, Math.Max(0, Runs)).ToList()), ct);
        if (!result.Succeeded) return Rejected(result with { Errors = ParallelRunErrors.AsOneRun(result.Errors) });
        return Redirect($"/projects/{Slug}/agents/{result.Value!.TaskId}/runs");
    }

    private async Task<bool> Load(CancellationToken ct)
    {
        if (await bus.InvokeAsync<ProjectRef?>(new FindMemberProject(CurrentUserId, Slug), ct) is not { } project) return false;
        Archived = project.Archived;
        Providers = await bus.InvokeAsync<IReadOnlyList<AgentProviderInfo>>(new ListAgentProviders(), ct);
        Credentials = (await bus.InvokeAsync<IReadOnlyList<CredentialRef>>(new ListUserCredentials(CurrentUserId), ct)).Where(c => c.Active).ToList();
        return true;
    }
}
