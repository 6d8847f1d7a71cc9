using Catalyst.Contracts;
using Catalyst.Web;
using Htmx;
using Microsoft.AspNetCore.Mvc;
using Wolverine;

namespace Catalyst.Credentials.Pages.Settings.Agents;

/// <summary>What the form binds. The key is never written back into the page: after a failed save or a test without JavaScript it is typed again.</summary>
public sealed class CredentialForm
{
    public string? Provider { get; set; }
    public string? ApiKey { get; set; }
    public string? Label { get; set; }
    public string? Model { get; set; }
    public string? BaseUrl { get; set; }

    public override string ToString() => $"CredentialForm {{ Provider = {Provider}, Label = {Label}, ApiKey = [REDACTED] }}";
}

public sealed record KeyTestPanel(KeyTestResult? Result, IReadOnlyList<CommandError> Errors);

public sealed class NewAgentCredentialModel(IMessageBus bus) : CatalystPageModel
{
    [BindProperty] public CredentialForm Form { get; set; } = new();
    public IReadOnlyList<AgentProviderInfo> Providers { get; private set; } = [];
    public KeyTestResult? TestResult { get; private set; }

    public ProviderPicker Picker => new(Providers, "Form.Provider", Form.Provider,
        ModelState.TryGetValue("Form.Provider", out var entry) ? entry.Errors.FirstOrDefault()?.ErrorMessage : null);

    public async Task OnGetAsync(string? provider, CancellationToken ct)
    {
        await LoadProviders(ct);
        Form.Provider = Providers.Any(p => p.Name == provider) ? provider : Providers.FirstOrDefault()?.Name;
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var result = await bus.InvokeAsync<Result<CredentialView>>(
            new AddAgentCredential(CurrentUserId, Form.Provider ?? "", Form.ApiKey ?? "", Form.Label, Form.Model, Form.BaseUrl), ct);
        if (result.Succeeded) return Redirect("/settings/agents");
        await LoadProviders(ct);
        Form.ApiKey = null;
        return Rejected(result, nameof(Form));
    }

    /// <summary>htmx: only the result panel, the typed key stays in the form; without JavaScript: the whole form again, key emptied.</summary>
    public async Task<IActionResult> OnPostTestAsync(CancellationToken ct)
    {
        var result = await bus.InvokeAsync<Result<KeyTestResult>>(new TestAgentKey(CurrentUserId, Form.Provider ?? "", Form.ApiKey ?? "", Form.BaseUrl), ct);
        Form.ApiKey = null;
        if (Request.IsHtmxNonBoosted())
        {
            Response.Headers.Vary = "HX-Request";
            var panel = Partial("_KeyTestResult", new KeyTestPanel(result.Value, result.Errors));
            if (!result.Succeeded) panel.StatusCode = Microsoft.AspNetCore.Http.StatusCodes.Status400BadRequest;
            return panel;
        }
        await LoadProviders(ct);
        if (!result.Succeeded) return Rejected(result, nameof(Form));
        TestResult = result.Value;
        return Page();
    }

    private async Task LoadProviders(CancellationToken ct) =>
        Providers = await bus.InvokeAsync<IReadOnlyList<AgentProviderInfo>>(new ListAgentProviders(), ct);
}
