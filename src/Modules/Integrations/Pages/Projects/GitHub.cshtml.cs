using Catalyst.Contracts;
using Catalyst.Web;
using Catalyst.Integrations.GitHub;
using Catalyst.Integrations.Projects;
using Htmx;
using Microsoft.AspNetCore.Mvc;
using Wolverine;

namespace Catalyst.Integrations.Pages.Projects;

public sealed class GitHubSettingsModel(IMessageBus bus) : CatalystPageModel
{
    [BindProperty(SupportsGet = true)] public string Slug { get; set; } = "";
    [BindProperty] public GitHubAuthKind Kind { get; set; } = GitHubAuthKind.App;
    [BindProperty] public long? AppId { get; set; }
    [BindProperty] public long? InstallationId { get; set; }
    [BindProperty] public string? PrivateKey { get; set; }
    [BindProperty] public string? Token { get; set; }
    [BindProperty] public string? WebhookSecret { get; set; }
    [BindProperty] public string? TriggerHandle { get; set; }
    [BindProperty] public string? TriggerLabel { get; set; }
    [BindProperty] public string? DefaultAgent { get; set; }

    public ProjectView Project { get; private set; } = null!;
    public GitHubConnection? Connection { get; private set; }
    public GitHubConnectionTest? TestResult { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (!await Load(ct)) return NotFound();
        if (Connection is { } c)
            (Kind, AppId, InstallationId, TriggerHandle, TriggerLabel, DefaultAgent) = (c.Kind, c.AppId, c.InstallationId, c.TriggerHandle, c.TriggerLabel, c.DefaultAgent);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var result = await bus.InvokeAsync<Result<GitHubConnection>>(new ConfigureGitHubConnection(CurrentUserId, Slug, Kind, AppId, InstallationId,
            PrivateKey, Token, WebhookSecret, TriggerHandle, TriggerLabel, DefaultAgent), ct);
        // Secrets never go back into the page, saved or not.
        (PrivateKey, Token, WebhookSecret) = (null, null, null);
        ModelState.Remove(nameof(PrivateKey));
        ModelState.Remove(nameof(Token));
        ModelState.Remove(nameof(WebhookSecret));
        if (!await Load(ct)) return NotFound();
        if (!result.Succeeded) return Rejected(result);
        return Redirect($"/projects/{Slug}/github");
    }

    public async Task<IActionResult> OnPostTestAsync(CancellationToken ct)
    {
        var result = await bus.InvokeAsync<Result<GitHubConnectionTest>>(new TestGitHubConnection(CurrentUserId, Slug), ct);
        if (result.IsNotFound) return NotFound();
        (PrivateKey, Token, WebhookSecret) = (null, null, null);
        if (Request.IsHtmx())
        {
            Response.Headers.Vary = "HX-Request";
            return Partial("_GitHubTestResult", result.Value);
        }
        if (!await Load(ct)) return NotFound();
        TestResult = result.Value;
        return Page();
    }

    private async Task<bool> Load(CancellationToken ct)
    {
        var project = await bus.InvokeAsync<ProjectView?>(new GetProject(CurrentUserId, Slug), ct);
        if (project is null) return false;
        Project = project;
        Connection = await bus.InvokeAsync<GitHubConnection?>(new GetGitHubConnection(project.Id), ct);
        return true;
    }
}
