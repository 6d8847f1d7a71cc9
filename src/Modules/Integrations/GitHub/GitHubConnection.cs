using Catalyst.Contracts;

namespace Catalyst.Integrations.GitHub;

public enum GitHubAuthKind
{
    /// <summary>A GitHub App installed on the repository: a JWT signed with its private key becomes installation tokens.</summary>
    App,
    /// <summary>A fine-grained personal access token for the repository.</summary>
    Token,
}

/// <summary>
/// How Catalyst acts on a project's GitHub repository (one per project, its id the project's). The private key, the token
/// and the project's own webhook secret are sealed by the Credentials module; this record keeps only their masked hints.
/// </summary>
public sealed record GitHubConnection
{
    public const string DefaultHandle = "@catalyst-agent";
    public const string DefaultLabel = "catalyst-agent";
    public const string PrivateKeySecret = "github-app-private-key";
    public const string TokenSecret = "github-token";
    public const string WebhookSecret = "github-webhook-secret";

    public Guid Id { get; init; }
    public GitHubAuthKind Kind { get; init; }
    public long? AppId { get; init; }
    public long? InstallationId { get; init; }
    public string? CredentialHint { get; init; }
    public string? WebhookSecretHint { get; init; }

    /// <summary>The handle that, followed by instructions in a comment, starts a task.</summary>
    public string TriggerHandle { get; init; } = DefaultHandle;

    /// <summary>The label that, put on an issue, starts an <c>issue-fix</c> task with the issue as its instructions.</summary>
    public string TriggerLabel { get; init; } = DefaultLabel;

    /// <summary>The agent a task started from GitHub runs (the commenter's own credential for it).</summary>
    public string DefaultAgent { get; init; } = "claude-code";
    public DateTimeOffset UpdatedAt { get; init; }

    public string SecretName => Kind == GitHubAuthKind.App ? PrivateKeySecret : TokenSecret;
}

/// <summary>Where GitHub is: <c>GitHub:ApiUrl</c> (GitHub Enterprise Server's root; Octokit adds <c>/api/v3/</c>), the app-wide webhook secret, and Catalyst's own address for links.</summary>
public sealed class GitHubOptions(Microsoft.Extensions.Configuration.IConfiguration configuration)
{
    public Uri ApiUrl { get; } = new(configuration["GitHub:ApiUrl"] is { Length: > 0 } url ? url : "https://api.github.com/");

    /// <summary>The webhook secret of a GitHub App (one for all its installations); projects may have their own instead.</summary>
    public string? WebhookSecret { get; } = configuration["GitHub:WebhookSecret"] is { Length: > 0 } s ? s : null;

    /// <summary>Catalyst's address as people reach it (<c>Catalyst:PublicUrl</c>), for the links in comments and pull requests.</summary>
    public string? PublicUrl { get; } = configuration["Catalyst:PublicUrl"]?.TrimEnd('/');

    /// <summary>
    /// The longest Catalyst waits when GitHub answers 403/429 with <c>retry-after</c> or an exhausted <c>x-ratelimit-reset</c>
    /// before trying the call again (<c>GitHub:RateLimitMaxWaitSeconds</c>, default 60); a longer wait fails the call at once.
    /// </summary>
    public TimeSpan RateLimitMaxWait { get; } = TimeSpan.FromSeconds(
        double.TryParse(configuration["GitHub:RateLimitMaxWaitSeconds"], System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds >= 0 ? seconds : 60);

    public string TaskLink(string slug, Guid taskId) => $"{PublicUrl}/projects/{slug}/agents/{taskId}";
}
