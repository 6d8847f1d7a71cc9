using Catalyst.Contracts;
using Marten;

namespace Catalyst.Host.Accounts;

/// <summary>Links a GitHub identity (by its user id, so a renamed login stays linked) to a signed-in account, from the account page.</summary>
public sealed record LinkGitHubAccount(Guid UserId, long GitHubId, string Login);

/// <summary>Forgets the account's GitHub identity: comments by that login no longer start tasks as this account.</summary>
public sealed record UnlinkGitHubAccount(Guid UserId);

public static class GitHubLinkHandler
{
    public const string Taken = "That GitHub login is already linked to another Catalyst account. Sign in to that account and unlink it on its account page first, then link it here.";
    public const string OnlyWay = "Your account has no password: it signs in only with GitHub, so unlinking GitHub would lock you out.";

    public static async Task<Result<string>> Handle(LinkGitHubAccount command, IDocumentSession session, CancellationToken ct)
    {
        var user = await session.LoadAsync<CatalystUser>(command.UserId, ct);
        if (user is null) return Result<string>.NotFound("The account");
        if (await session.Query<CatalystUser>().AnyAsync(u => u.GitHubId == command.GitHubId && u.Id != command.UserId, ct))
            return Result<string>.Fail(new CommandError("", Taken, ErrorKind.Conflict));
        session.Store(user with { GitHubId = command.GitHubId, GitHubLogin = command.Login });
        return Result<string>.Ok(command.Login);
    }

    public static async Task<Result<string>> Handle(UnlinkGitHubAccount command, IDocumentSession session, CancellationToken ct)
    {
        var user = await session.LoadAsync<CatalystUser>(command.UserId, ct);
        if (user?.GitHubId is null) return Result<string>.NotFound("A linked GitHub login");
        if (user.PasswordHash is null) return Result<string>.Fail(new CommandError("", OnlyWay));
        session.Store(user with { GitHubId = null, GitHubLogin = null });
        return Result<string>.Ok(user.GitHubLogin ?? "");
    }
}
