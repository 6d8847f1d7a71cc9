using System.ComponentModel;
using System.Security.Claims;
using Catalyst.Contracts;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using Wolverine;

namespace Catalyst.Host.Mcp;

/// <summary>One of the caller's credentials, as the credentials page lists it: never the key, only its masked hint.</summary>
public sealed record McpCredential(Guid Id, string Label, string MaskedKey, bool Active, string? Model)
{
    public static McpCredential From(CredentialRef c) => new(c.Id, c.Label, c.MaskedKey, c.Active, c.Model);
}

public sealed record McpAgentProvider(
    string Name, string DisplayName, string Description, bool Active, IReadOnlyList<string> Features,
    IReadOnlyList<string> CredentialVariables, string? DefaultModel, InstallSpec? Install, IReadOnlyList<McpCredential> YourCredentials)
{
    public static McpAgentProvider From(AgentProviderInfo p, IEnumerable<CredentialRef> credentials) => new(
        p.Name, p.DisplayName, p.Description, p.Active, p.Features, p.CredentialVariables, p.DefaultModel, p.Install,
        credentials.Where(c => c.Provider == p.Name).Select(McpCredential.From).ToList());
}

public sealed record McpAgentProviderList(IReadOnlyList<McpAgentProvider> Providers);

[McpServerToolType]
public sealed class AgentProviderTools
{
    [McpServerTool(Name = "list_agent_providers", Title = "List agent providers", ReadOnly = true, Idempotent = true, OpenWorld = false,
        UseStructuredContent = true, OutputSchemaType = typeof(McpAgentProviderList))]
    [Description("Lists the coding agents Catalyst can run (e.g. claude-code, codex-cli, aider, cline), active ones first, each with " +
                 "the credentials you have added for it (label, id and masked key; never the key itself). create_agent_task needs a " +
                 "provider's `name` and one of your credentials for that provider; credentials are added by a person in the web app under Agent credentials.")]
    public static async Task<CallToolResult> ListAgentProviders(
        ClaimsPrincipal user, IMessageBus bus,
        [Description("Also list providers an administrator has deactivated (they cannot run new tasks). Default: false.")] bool include_inactive = false,
        CancellationToken ct = default)
    {
        var providers = await bus.InvokeAsync<IReadOnlyList<AgentProviderInfo>>(new ListAgentProviders(include_inactive), ct);
        var credentials = await bus.InvokeAsync<IReadOnlyList<CredentialRef>>(new ListUserCredentials(user.UserId()), ct);
        return McpAnswer.Ok(new McpAgentProviderList(providers.Select(p => McpAgentProvider.From(p, credentials)).ToList()));
    }

    [McpServerTool(Name = "get_agent_provider", Title = "Get an agent provider", ReadOnly = true, Idempotent = true, OpenWorld = false,
        UseStructuredContent = true, OutputSchemaType = typeof(McpAgentProvider))]
    [Description("Describes one coding agent provider by name: what it is, its features (hooks, plans, subagents, mcp), the CLI it installs, " +
                 "its default model, and your credentials for it (label, id, masked key).")]
    public static async Task<CallToolResult> GetAgentProvider(
        ClaimsPrincipal user, IMessageBus bus,
        [Description("The provider's name as list_agent_providers gives it, e.g. \"claude-code\".")] string name,
        CancellationToken ct = default)
    {
        var provider = await bus.InvokeAsync<AgentProviderInfo?>(new GetAgentProvider(name), ct);
        if (provider is null) return McpAnswer.NotFound($"The agent provider “{name}”");
        var credentials = await bus.InvokeAsync<IReadOnlyList<CredentialRef>>(new ListUserCredentials(user.UserId(), provider.Name), ct);
        return McpAnswer.Ok(McpAgentProvider.From(provider, credentials));
    }
}
