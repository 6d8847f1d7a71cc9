namespace Catalyst.Contracts;

// A project's secrets for outside services (a GitHub App's private key, a GitHub token, a webhook secret), sealed by
// the Credentials module with the same master key as agent credentials. ToString never prints a value.

/// <summary>Seal and keep <see cref="Value"/> under the project and name; a null value erases it. Answers a masked hint, or null when erased.</summary>
public sealed record StoreProjectSecret(Guid ProjectId, string Name, string? Value)
{
    public override string ToString() => $"StoreProjectSecret {{ ProjectId = {ProjectId}, Name = {Name} }}";
}

/// <summary>Asked by the module that uses the secret (never by a page that shows anything): the value, or null.</summary>
public sealed record RevealProjectSecret(Guid ProjectId, string Name);

public sealed record ProjectSecretValue(string Value)
{
    public override string ToString() => "ProjectSecretValue { *** }";
}

/// <summary>Asked by webhook endpoints: the ids of projects that have a secret of this name (e.g. their own webhook secret).</summary>
public sealed record ListProjectSecretHolders(string Name);

/// <summary>Asked by the GitHub integration: the Catalyst account linked to this GitHub user id (signed in with GitHub), or null.</summary>
public sealed record FindUserByGitHubId(long GitHubId);

/// <summary>
/// Asked when a task is started for someone who did not pick a credential (a GitHub comment): the usable credential they
/// marked as the default for the provider, or their only usable one; null when they have none, or several and none marked.
/// </summary>
public sealed record FindDefaultUserCredential(Guid UserId, string Provider);

/// <summary>How many usable credentials the person has for the provider (to say why no default could be chosen).</summary>
public sealed record CountUsableUserCredentials(Guid UserId, string Provider);
