using System.Security.Cryptography;
using System.Text;
using Catalyst.Contracts;
using Marten;

namespace Catalyst.Host.Accounts;

public sealed record CreateApiToken(Guid UserId, string Name)
{
    public IReadOnlyList<CommandError> Validate() =>
        TextInput.Check(nameof(Name), "The name", Name, 100) is { } refused ? [refused]
        : string.IsNullOrWhiteSpace(Name) ? [new(nameof(Name), "Give the token a name, such as the machine or tool that will use it.")]
        : Name.Trim().Length > 100 ? [new(nameof(Name), "Keep the name under 100 characters.")]
        : [];
}

/// <summary>The only time the secret exists outside the caller's hands: right after creation.</summary>
public sealed record CreatedApiToken(Guid Id, string Name, string Token);

public sealed record RevokeApiToken(Guid UserId, Guid TokenId);

public sealed record ListApiTokens(Guid UserId);

public sealed record ApiTokenView(Guid Id, string Name, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt);

public sealed record CreateApiTokenForEmail(string Email, string Name);

public static class ApiTokenHandler
{
    public const string TokenPrefix = "cat_";

    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    public static (ApiToken Document, string Secret) NewToken(Guid userId, string name, DateTimeOffset now)
    {
        var secret = TokenPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        var document = new ApiToken
        {
            Id = Guid.CreateVersion7(),
            UserId = userId,
            Name = name.Trim(),
            Hash = Hash(secret),
            Prefix = secret[..(TokenPrefix.Length + 6)],
            CreatedAt = now,
        };
        return (document, secret);
    }

    public static Result<CreatedApiToken> Handle(CreateApiToken command, IDocumentSession session, TimeProvider clock)
    {
        var errors = command.Validate();
        if (errors.Count > 0) return Result<CreatedApiToken>.Fail(errors);
        var (document, secret) = NewToken(command.UserId, command.Name, clock.GetUtcNow());
        session.Store(document);
        return Result<CreatedApiToken>.Ok(new(document.Id, document.Name, secret));
    }

    public static async Task<Result<CreatedApiToken>> Handle(CreateApiTokenForEmail command, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        var email = CatalystUser.Normalise(command.Email ?? "");
        var user = await session.Query<CatalystUser>().FirstOrDefaultAsync(u => u.Email == email, ct);
        if (user is null) return Result<CreatedApiToken>.NotFound($"An account with the email {email}");
        return Handle(new CreateApiToken(user.Id, command.Name), session, clock);
    }

    public static async Task<Result<ApiTokenView>> Handle(RevokeApiToken command, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        var token = await session.LoadAsync<ApiToken>(command.TokenId, ct);
        if (token is null || token.UserId != command.UserId) return Result<ApiTokenView>.NotFound("The token");
        if (token.RevokedAt is null)
        {
            token = token with { RevokedAt = clock.GetUtcNow() };
            session.Store(token);
        }
        return Result<ApiTokenView>.Ok(View(token));
    }

    public static async Task<IReadOnlyList<ApiTokenView>> Handle(ListApiTokens query, IQuerySession session, CancellationToken ct)
    {
        var tokens = await session.Query<ApiToken>().Where(t => t.UserId == query.UserId).OrderByDescending(t => t.CreatedAt).ToListAsync(ct);
        return tokens.Select(View).ToList();
    }

    public static ApiTokenView View(ApiToken t) => new(t.Id, t.Name, t.Prefix, t.CreatedAt, t.LastUsedAt, t.RevokedAt);

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
