using Catalyst.Contracts;
using Marten;

namespace Catalyst.Host.Accounts;

/// <summary>An admin makes another account an admin, or takes it back. The last admin stays one.</summary>
public sealed record MakeAdmin(Guid AdminId, Guid UserId, bool IsAdmin);

public static class MakeAdminHandler
{
    public static async Task<Result<AccountSummary>> Handle(MakeAdmin command, IDocumentSession session, CancellationToken ct)
    {
        var admin = await session.LoadAsync<CatalystUser>(command.AdminId, ct);
        var user = await session.LoadAsync<CatalystUser>(command.UserId, ct);
        if (admin is not { IsAdmin: true } || user is null) return Result<AccountSummary>.NotFound("The account");
        if (!command.IsAdmin && user.Id == admin.Id) return Result<AccountSummary>.Fail(new CommandError("", "Ask another admin to take your admin rights away."));
        session.Store(user with { IsAdmin = command.IsAdmin });
        return Result<AccountSummary>.Ok(new(user.Id, user.Email, user.DisplayName, command.IsAdmin));
    }
}
