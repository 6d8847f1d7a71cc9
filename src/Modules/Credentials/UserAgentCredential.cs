using System.Text.Json.Serialization;
using Catalyst.Contracts;
using Catalyst.Credentials.Encryption;

namespace Catalyst.Credentials;

/// <summary>
/// A person's API key for one agent provider, sealed with AES-256-GCM. Only <see cref="MaskedKey"/> is ever shown;
/// the key itself is decrypted only to test it against the provider and to hand it to the workspace of a task.
/// </summary>
public sealed record UserAgentCredential
{
    public Guid Id { get; init; }
    public Guid OwnerId { get; init; }
    public required string Provider { get; init; }
    public required string Label { get; init; }

    /// <summary>"provider/label" in lower case while the credential exists; null once deleted, so that the label can be used again.</summary>
    public string? LabelKey { get; init; }

    /// <summary>The sealed key; null once the credential is deleted (the key material is erased).</summary>
    public EncryptedSecret? Secret { get; init; }

    public CredentialConfig Config { get; init; } = new(null, null);
    public required string MaskedKey { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? LastUsedAt { get; init; }
    public KeyTestResult? LastTest { get; init; }
    public bool Active { get; init; } = true;
    public DateTimeOffset? DeletedAt { get; init; }

    /// <summary>Marked by its owner as the one to use for the provider when no one picks (tasks started from GitHub); one per provider.</summary>
    public bool IsDefault { get; init; }

    [JsonIgnore] public bool Usable => Active && DeletedAt is null && Secret is not null;

    public byte[] AssociatedData() => CredentialCipher.AssociatedData(Id, OwnerId);

    public static string LabelKeyOf(string provider, string label) => $"{provider}/{label.Trim().ToLowerInvariant()}";

    public CredentialRef ToRef() => new(Id, OwnerId, Provider, Label, MaskedKey, Usable, Config.Model, Config.BaseUrl);
}

/// <summary>What a task's agent is told besides the key: the model (the provider's default when null) and the vendor base URL.</summary>
public sealed record CredentialConfig(string? Model, string? BaseUrl);

public enum KeyTestStatus
{
    Valid,
    Rejected,
    Failed,
    Unreachable,
    TimedOut,
}

/// <summary>What the provider answered when the key was last tried; <see cref="Message"/> is shown to the person as it is.</summary>
public sealed record KeyTestResult(KeyTestStatus Status, string Message, DateTimeOffset At, int? HttpStatus = null)
{
    [JsonIgnore] public bool Valid => Status == KeyTestStatus.Valid;
}

/// <summary>A credential as pages and other screens see it: never the key.</summary>
public sealed record CredentialView(
    Guid Id, string Provider, string ProviderDisplayName, string Monogram, string Label, string MaskedKey, string? Model, string? BaseUrl,
    DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, KeyTestResult? LastTest, bool Active, bool IsDefault = false)
{
    public static CredentialView From(UserAgentCredential c, AgentProviderInfo? provider) => new(
        c.Id, c.Provider, provider?.DisplayName ?? c.Provider, provider?.Monogram ?? "", c.Label, c.MaskedKey, c.Config.Model, c.Config.BaseUrl,
        c.CreatedAt, c.LastUsedAt, c.LastTest, c.Usable, c.IsDefault);
}
