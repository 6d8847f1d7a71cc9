namespace Catalyst.Host.Accounts;

/// <summary>A person who signs in: a local password, a GitHub identity, or both.</summary>
public sealed record CatalystUser
{
    public Guid Id { get; init; }
    public required string Email { get; init; }
    public required string DisplayName { get; init; }
    public string? PasswordHash { get; init; }
    public long? GitHubId { get; init; }
    public string? GitHubLogin { get; init; }
    public bool IsAdmin { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    /// <summary>Set by an admin: the account cannot sign in, and its open sessions stop working.</summary>
    public DateTimeOffset? DisabledAt { get; init; }

    public static string Normalise(string email) => email.Trim().ToLowerInvariant();
}

/// <summary>A personal API token: only the SHA-256 of the secret is kept.</summary>
public sealed record ApiToken
{
    public Guid Id { get; init; }
    public Guid UserId { get; init; }
    public required string Name { get; init; }
    public required string Hash { get; init; }
    public required string Prefix { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? LastUsedAt { get; init; }
    public DateTimeOffset? RevokedAt { get; init; }
}
