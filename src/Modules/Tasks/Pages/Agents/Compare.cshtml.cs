using Catalyst.Contracts;
using Catalyst.Web;
using Catalyst.Tasks.Domain;
using Microsoft.AspNetCore.Mvc;
using Wolverine;

namespace Catalyst.Tasks.Pages.Agents;

/// <summary>Different agents (or credentials) on the same instructions, side by side: one row per run, each one of the person's credentials.</summary>
public sealed class CompareAgentsModel(IMessageBus bus) : CatalystPageModel
{
    [BindProperty(SupportsGet = true)] public string Slug { get; set; } = "";
    [BindProperty] public string Type { get; set; } = "feature-dev";
    [BindProperty] public string Instructions { get; set; } = "";
    /// <summary>Row i: the credential run i+1 uses (its provider follows from it), or empty for no run.</summary>
    [BindProperty] public List<Guid?> Runs { get; set; } = [];

    public IReadOnlyList<AgentProviderInfo> Providers { get; private set; } = [];
    public IReadOnlyList<CredentialRef> Credentials { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (!await Load(ct)) return NotFound();
        // A start: one credential of each agent the person has keys for, or one key twice.
        var firsts = Credentials.GroupBy(c => c.Provider).Select(g => g.First().Id).Take(AgentTask.MaxRuns).ToList();
        Runs = (firsts.Count == 1 ? [firsts[0], firsts[0]] : firsts).Select(id => (Guid?)id).ToList();
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (!await Load(ct)) return NotFound();
        if (!ModelState.IsValid) return InvalidForm();
        var rows = Runs.Select((id, row) => (Id: id, Row: row)).Where(r => r.Id is not null).Take(AgentTask.MaxRuns + 1).ToList();
        // A credential that is not the person's has no provider to name; the command answers it as not found among theirs.
        var requests = rows.Select(r => new ParallelRunRequest(Credentials.FirstOrDefault(c => c.Id == r.Id)?.Provider ?? Providers.FirstOrDefault()?.Name ?? "", r.Id)).ToList();
        var result = await bus.InvokeAsync<Result<AgentTaskCreatedResult>>(new CreateParallelAgentTask(CurrentUserId, Slug, Type, Instructions, requests), ct);
        if (!result.Succeeded) return Rejected(result with { Errors = ParallelRunErrors.ByRow(result.Errors, rows.Select(r => r.Row).ToList(), nameof(Runs)) });
        return Redirect($"/projects/{Slug}/agents/{result.Value!.TaskId}/runs");
    }

    public Guid? RunAt(int row) => row < Runs.Count ? Runs[row] : null;

    private async Task<bool> Load(CancellationToken ct)
    {
        if (await bus.InvokeAsync<ProjectRef?>(new FindMemberProject(CurrentUserId, Slug), ct) is null) return false;
        Providers = await bus.InvokeAsync<IReadOnlyList<AgentProviderInfo>>(new ListAgentProviders(), ct);
        Credentials = (await bus.InvokeAsync<IReadOnlyList<CredentialRef>>(new ListUserCredentials(CurrentUserId), ct)).Where(c => c.Active).ToList();
        return true;
    }
}
