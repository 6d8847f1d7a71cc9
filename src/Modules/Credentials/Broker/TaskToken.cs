using System.Security.Cryptography;
using System.Text;
using Catalyst.Contracts;

namespace Catalyst.Credentials;

/// <summary>
/// A task's token for the LLM broker. Only the SHA-256 of the token is kept (it is the document's id); the token itself
/// was shown once, to the workspace. It stands for the task's granted credential until it is revoked.
/// </summary>
public sealed record TaskToken
{
    /// <summary>Lower-case hex SHA-256 of the token.</summary>
    public required string Id { get; init; }
    public Guid TaskId { get; init; }
    public Guid CredentialId { get; init; }
    public Guid UserId { get; init; }
    public string Provider { get; init; } = "";

    /// <summary>The provider's key headers as its catalogue entry writes them ("x-api-key": "{key}", "Authorization": "Bearer {key}").</summary>
    public IReadOnlyDictionary<string, string> KeyHeaders { get; init; } = new Dictionary<string, string>();
    public required string UpstreamBaseUrl { get; init; }
    public TaskBudget Budget { get; init; } = TaskBudget.None;
    public DateTimeOffset IssuedAt { get; init; }
    public DateTimeOffset? RevokedAt { get; init; }

    public const string Prefix = "cat_task_";

    /// <summary>A new token: 256 random bits, base64url, behind a prefix that secret scanners can recognise.</summary>
    public static string NewSecret() => Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));

    public static string HashOf(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
