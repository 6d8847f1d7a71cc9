using System.Security.Claims;

namespace Catalyst.Contracts;

/// <summary>Asked by any module that needs to turn an email address into an account.</summary>
public sealed record FindUserByEmail(string Email);

public sealed record UserRef(Guid Id, string Email, string DisplayName);

/// <summary>Asked by any module that shows people by id (project members, task authors).</summary>
public sealed record DescribeUsers(IReadOnlyList<Guid> Ids);

public sealed record UserDescriptions(IReadOnlyDictionary<Guid, UserRef> Users);

/// <summary>Asked by admin screens (monthly budgets): every account, by email.</summary>
public sealed record ListUsers;

public static class CatalystClaims
{
    public const string IsAdmin = "catalyst:admin";

    /// <summary>The signed-in account's id; every page and tool passes it into the commands it sends.</summary>
    public static Guid UserId(this ClaimsPrincipal principal)
    {
        var value = principal.FindFirst(ClaimTypes.NameIdentifier)?.Value;
        return Guid.TryParse(value, out var id) ? id : throw new InvalidOperationException("The request is not signed in.");
    }

    public static Guid? TryGetUserId(this ClaimsPrincipal principal) =>
        Guid.TryParse(principal.FindFirst(ClaimTypes.NameIdentifier)?.Value, out var id) ? id : null;
}
