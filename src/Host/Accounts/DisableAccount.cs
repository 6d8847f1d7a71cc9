using Catalyst.Contracts;
using Marten;

namespace Catalyst.Host.Accounts;

/// <summary>An admin disables an account (it cannot sign in; its sessions end at once) or enables it again.</summary>
public sealed record DisableAccount(Guid AdminId, Guid UserId, bool Disabled);

public static class DisableAccountHandler
{
    public static async Task<Result<AccountSummary>> Handle(DisableAccount command, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        var admin = await session.LoadAsync<CatalystUser>(command.AdminId, ct);
        var user = await session.LoadAsync<CatalystUser>(command.UserId, ct);
        if (admin is not { IsAdmin: true } || user is null) return Result<AccountSummary>.NotFound("The account");
        if (user.Id == admin.Id) return Result<AccountSummary>.Fail(new CommandError("", "You cannot disable your own account."));
        var now = clock.GetUtcNow();
        session.Store(user with { DisabledAt = command.Disabled ? user.DisabledAt ?? now : null });
        if (command.Disabled)
        {
            var open = await session.Query<AccountSession>().Where(s => s.UserId == user.Id && s.EndedAt == null).ToListAsync(ct);
            foreach (var s in open) session.Store(s with { EndedAt = now });
        }
        return Result<AccountSummary>.Ok(new(user.Id, user.Email, user.DisplayName, user.IsAdmin));
    }
}
