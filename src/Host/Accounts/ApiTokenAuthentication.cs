using System.Security.Claims;
using System.Text.Encodings.Web;
using Catalyst.Contracts;
using Marten;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Catalyst.Host.Accounts;

/// <summary>`Authorization: Bearer cat_...` for machine endpoints (MCP, scripts). Looks the token up by its hash.</summary>
public sealed class ApiTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IDocumentStore store,
    TimeProvider clock) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiToken";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return AuthenticateResult.NoResult();
        var secret = header["Bearer ".Length..].Trim();
        if (secret.Length == 0) return AuthenticateResult.Fail("The bearer token is empty.");

        var hash = ApiTokenHandler.Hash(secret);
        await using var session = store.LightweightSession();
        var token = await session.Query<ApiToken>().FirstOrDefaultAsync(t => t.Hash == hash, Context.RequestAborted);
        if (token is null || token.RevokedAt is not null) return AuthenticateResult.Fail("The API token is unknown or revoked.");
        var user = await session.LoadAsync<CatalystUser>(token.UserId, Context.RequestAborted);
        if (user is null) return AuthenticateResult.Fail("The API token's account no longer exists.");

        var now = clock.GetUtcNow();
        if (token.LastUsedAt is null || now - token.LastUsedAt > TimeSpan.FromMinutes(1))
        {
            session.Store(token with { LastUsedAt = now });
            await session.SaveChangesAsync(Context.RequestAborted);
        }

        var identity = AccountsModule.Identity(new AccountSummary(user.Id, user.Email, user.DisplayName, user.IsAdmin), SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    /// <summary>A machine client gets a 401 that says what to send, in plain text, or as a JSON-RPC error on /mcp (not the sign-in page a browser gets).</summary>
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var failure = (await HandleAuthenticateOnceSafeAsync()).Failure?.Message;
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        // RFC 6750: a token that was sent but is not good is invalid_token; no token at all gets the bare challenge.
        Response.Headers.WWWAuthenticate = failure is null ? "Bearer realm=\"catalyst\"" : "Bearer realm=\"catalyst\", error=\"invalid_token\"";
        var message = (failure is null ? "" : failure + " ") +
            "Send a personal API token as “Authorization: Bearer cat_…”; create one in Catalyst under API tokens (/settings/tokens).";
        // An MCP client reads every answer of /mcp as JSON-RPC.
        if (Request.Path.StartsWithSegments("/mcp"))
        {
            await Catalyst.Host.Mcp.McpHttpGuard.Write(Context, StatusCodes.Status401Unauthorized, Catalyst.Host.Mcp.McpHttpGuard.InvalidRequest, message, null);
            return;
        }
        Response.ContentType = "text/plain; charset=utf-8";
        await Response.WriteAsync(message);
    }
}
