using System.Security.Claims;
using Marten;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Catalyst.Web;

namespace Catalyst.Host.Accounts;

/// <summary>
/// A signed-in browser, kept on the server: the cookie names it, and a cookie whose session has ended (signed out, or
/// its account disabled) no longer signs anyone in, even when it was copied before.
/// </summary>
public sealed record AccountSession
{
    public Guid Id { get; init; }
    public Guid UserId { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? EndedAt { get; init; }
}

public static class AccountSessions
{
    public const string Claim = "catalyst:session";

    /// <summary>Starts a session for <paramref name="userId"/> and answers the claim that names it.</summary>
    public static async Task<Claim> StartAsync(HttpContext context, Guid userId)
    {
        var store = context.RequestServices.GetRequiredService<IDocumentStore>();
        var clock = context.RequestServices.GetRequiredService<TimeProvider>();
        var session = new AccountSession { Id = Guid.CreateVersion7(), UserId = userId, StartedAt = clock.GetUtcNow() };
        await using var documents = store.LightweightSession();
        documents.Store(session);
        await documents.SaveChangesAsync(context.RequestAborted);
        return new Claim(Claim, session.Id.ToString());
    }

    /// <summary>Ends the session the request's cookie names (sign-out).</summary>
    public static async Task EndAsync(HttpContext context)
    {
        if (!Guid.TryParse(context.User.FindFirstValue(Claim), out var id)) return;
        var store = context.RequestServices.GetRequiredService<IDocumentStore>();
        var clock = context.RequestServices.GetRequiredService<TimeProvider>();
        await using var documents = store.LightweightSession();
        var session = await documents.LoadAsync<AccountSession>(id, context.RequestAborted);
        if (session is null || session.EndedAt is not null) return;
        documents.Store(session with { EndedAt = clock.GetUtcNow() });
        await documents.SaveChangesAsync(context.RequestAborted);
    }

    /// <summary>Every request with a cookie: its session must be open and its account enabled.</summary>
    public static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var principal = context.Principal;
        if (principal is null || !Guid.TryParse(principal.FindFirstValue(Claim), out var id)
            || !Guid.TryParse(principal.FindFirstValue(ClaimTypes.NameIdentifier), out var userId))
        {
            await RejectAsync(context);
            return;
        }
        var account = await context.HttpContext.RequestServices.GetRequiredService<SessionChecks>().AccountAsync(id, userId, context.HttpContext.RequestAborted);
        if (account is null)
        {
            await RejectAsync(context);
            return;
        }
        // An admin made (or unmade) since the cookie was written: the cookie follows the account.
        if (principal.HasClaim(Contracts.CatalystClaims.IsAdmin, "true") != account.IsAdmin)
        {
            var identity = AccountsModule.Identity(account, CookieAuthenticationDefaults.AuthenticationScheme);
            identity.AddClaim(new Claim(Claim, id.ToString()));
            context.ReplacePrincipal(new ClaimsPrincipal(identity));
            context.ShouldRenew = true;
        }
    }

    private static async Task RejectAsync(CookieValidatePrincipalContext context)
    {
        context.RejectPrincipal();
        await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
    }
}

/// <summary>
/// The check every signed-in request makes: is the cookie's session open and its account enabled. Its answers are kept
/// (at most 30 s, and only while this node hears changes to sessions and accounts: see <see cref="ChangeNotices"/>), so a
/// page costs no database round trip for it; a sign-out or a disabled account on any node is heard at once and empties
/// the cache of every node.
/// </summary>
public sealed class SessionChecks(IDocumentStore store, ChangeNotices notices, TimeProvider clock)
{
    private readonly NoticedCache<(Guid Session, Guid User), AccountSummary?> _cache = new(notices, clock, TimeSpan.FromSeconds(30));

    /// <summary>The session's account, or null when the session is unknown, ended, someone else's, or its account disabled.</summary>
    public ValueTask<AccountSummary?> AccountAsync(Guid sessionId, Guid userId, CancellationToken ct) => _cache.GetAsync((sessionId, userId), ReadAsync, ct);

    private async Task<AccountSummary?> ReadAsync((Guid Session, Guid User) key, CancellationToken ct)
    {
        await using var documents = store.QuerySession();
        // The session and its account in one round trip.
        var batch = documents.CreateBatchQuery();
        var loadingSession = batch.Load<AccountSession>(key.Session);
        var loadingUser = batch.Load<CatalystUser>(key.User);
        await batch.Execute(ct);
        var session = await loadingSession;
        var user = await loadingUser;
        if (session is null || session.EndedAt is not null || session.UserId != key.User || user is null || user.DisabledAt is not null) return null;
        return new AccountSummary(user.Id, user.Email, user.DisplayName, user.IsAdmin);
    }
}
