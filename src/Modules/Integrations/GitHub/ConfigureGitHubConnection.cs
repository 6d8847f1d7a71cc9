using Catalyst.Contracts;
using Catalyst.Integrations.Projects;
using Marten;
using Wolverine;

namespace Catalyst.Integrations.GitHub;

/// <summary>
/// Sets how Catalyst acts on a project's GitHub repository. A secret field left empty keeps the stored one; secrets
/// are sealed by the Credentials module and never shown back.
/// </summary>
public sealed record ConfigureGitHubConnection(
    Guid UserId, string Slug, GitHubAuthKind Kind, long? AppId, long? InstallationId, string? PrivateKey, string? Token,
    string? WebhookSecret, string? TriggerHandle, string? TriggerLabel, string? DefaultAgent)
{
    public override string ToString() => $"ConfigureGitHubConnection {{ Slug = {Slug}, Kind = {Kind}, AppId = {AppId}, InstallationId = {InstallationId} }}";

    public IReadOnlyList<CommandError> Validate(GitHubConnection? existing)
    {
        var errors = new List<CommandError>();
        var keepsSecret = existing is not null && existing.Kind == Kind && existing.CredentialHint is not null;
        if (Kind == GitHubAuthKind.App)
        {
            if (AppId is null or < 1) errors.Add(new(nameof(AppId), "Enter the app's id (a number, on the app's settings page under “About”)."));
            if (InstallationId is null or < 1)
                errors.Add(new(nameof(InstallationId), "Enter the installation id: the number at the end of the installation's URL (…/settings/installations/12345678)."));
            if (string.IsNullOrWhiteSpace(PrivateKey) && !keepsSecret)
                errors.Add(new(nameof(PrivateKey), "Paste the app's private key (the .pem file GitHub generated)."));
            else if (!string.IsNullOrWhiteSpace(PrivateKey) && !GitHubClients.IsRsaPrivateKey(PrivateKey))
                errors.Add(new(nameof(PrivateKey), "That is not a PEM private key: paste the whole .pem file, from -----BEGIN to -----END."));
        }
        else if (string.IsNullOrWhiteSpace(Token) && !keepsSecret)
        {
            errors.Add(new(nameof(Token), "Paste a fine-grained personal access token for the repository."));
        }
        if (TriggerHandle is { Length: > 0 } handle && (!handle.StartsWith('@') || handle.Length < 2 || handle.Any(char.IsWhiteSpace)))
            errors.Add(new(nameof(TriggerHandle), "The handle is one word starting with @, like @catalyst-agent."));
        if (TriggerLabel is { Length: > 100 }) errors.Add(new(nameof(TriggerLabel), "A label has at most 100 characters."));
        return errors;
    }
}

public static class ConfigureGitHubConnectionHandler
{
    public static async Task<Result<GitHubConnection>> Handle(ConfigureGitHubConnection command, IDocumentSession session, IMessageBus bus,
        GitHubClients clients, TimeProvider clock, CancellationToken ct)
    {
        var project = await session.Query<Project>().FirstOrDefaultAsync(p => p.Slug == command.Slug, ct);
        if (project is null || !project.HasMember(command.UserId)) return Result<GitHubConnection>.NotFound("The project");
        if (GitHubClients.SplitRepository(project.GitHubRepository) is null)
            return Result<GitHubConnection>.Fail(new CommandError("", "Name the project's GitHub repository (owner/name) under Edit first."));

        var existing = await session.LoadAsync<GitHubConnection>(project.Id, ct);
        var errors = command.Validate(existing);
        if (errors.Count > 0) return Result<GitHubConnection>.Fail(errors);
        var agent = string.IsNullOrWhiteSpace(command.DefaultAgent) ? existing?.DefaultAgent ?? "claude-code" : command.DefaultAgent.Trim();
        if (await bus.InvokeAsync<AgentProviderInfo?>(new GetAgentProvider(agent), ct) is not { Active: true })
            return Result<GitHubConnection>.Fail(new CommandError(nameof(command.DefaultAgent), $"There is no active agent provider “{agent}”."));

        var connection = new GitHubConnection
        {
            Id = project.Id,
            Kind = command.Kind,
            AppId = command.Kind == GitHubAuthKind.App ? command.AppId : null,
            InstallationId = command.Kind == GitHubAuthKind.App ? command.InstallationId : null,
            CredentialHint = existing?.Kind == command.Kind ? existing.CredentialHint : null,
            WebhookSecretHint = existing?.WebhookSecretHint,
            TriggerHandle = string.IsNullOrWhiteSpace(command.TriggerHandle) ? GitHubConnection.DefaultHandle : command.TriggerHandle.Trim(),
            TriggerLabel = string.IsNullOrWhiteSpace(command.TriggerLabel) ? GitHubConnection.DefaultLabel : command.TriggerLabel.Trim(),
            DefaultAgent = agent,
            UpdatedAt = clock.GetUtcNow(),
        };
        var secret = command.Kind == GitHubAuthKind.App ? command.PrivateKey : command.Token;
        if (!string.IsNullOrWhiteSpace(secret))
        {
            connection = connection with { CredentialHint = await bus.InvokeAsync<string?>(new StoreProjectSecret(project.Id, connection.SecretName, secret.Trim() + (command.Kind == GitHubAuthKind.App ? "\n" : "")), ct) };
        }
        // A connection of the other kind leaves nothing behind.
        var other = command.Kind == GitHubAuthKind.App ? GitHubConnection.TokenSecret : GitHubConnection.PrivateKeySecret;
        await bus.InvokeAsync<string?>(new StoreProjectSecret(project.Id, other, null), ct);
        if (!string.IsNullOrWhiteSpace(command.WebhookSecret))
            connection = connection with { WebhookSecretHint = await bus.InvokeAsync<string?>(new StoreProjectSecret(project.Id, GitHubConnection.WebhookSecret, command.WebhookSecret.Trim()), ct) };

        clients.Forget(project.Id);
        session.Store(connection);
        return Result<GitHubConnection>.Ok(connection);
    }
}

/// <summary>Asked by pages and by the webhook: the project's connection, or null (a page asks as a member).</summary>
public sealed record GetGitHubConnection(Guid ProjectId);

public static class GetGitHubConnectionHandler
{
    public static Task<GitHubConnection?> Handle(GetGitHubConnection query, IQuerySession session, CancellationToken ct) =>
        session.LoadAsync<GitHubConnection>(query.ProjectId, ct);
}
