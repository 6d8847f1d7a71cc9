namespace Catalyst.Contracts;

/// <summary>Asked of the Credentials module when a task is created: the user's own credential, without key material; null when not theirs.</summary>
public sealed record FindUserCredential(Guid UserId, Guid CredentialId);

/// <summary>The same, by label (MCP callers name credentials by label): null when the user has none with that label for that provider.</summary>
public sealed record FindUserCredentialByLabel(Guid UserId, string Provider, string Label);

public sealed record CredentialRef(Guid Id, Guid OwnerId, string Provider, string Label, string MaskedKey, bool Active, string? Model, string? BaseUrl);

/// <summary>
/// Sent by the Tasks module when it creates a task with a credential: checks that the credential is the user's and
/// usable, and lets that task's workspace reveal it. Answers the credential, or null (not theirs, deleted, inactive).
/// </summary>
public sealed record GrantCredentialToTask(Guid UserId, Guid CredentialId, Guid TaskId);

/// <summary>Asked of the Credentials module by forms that let a user pick one of their credentials (no key material).</summary>
public sealed record ListUserCredentials(Guid UserId, string? Provider = null);
