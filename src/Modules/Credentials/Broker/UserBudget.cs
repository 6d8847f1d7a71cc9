using Catalyst.Contracts;

namespace Catalyst.Credentials;

/// <summary>What a user may spend through the broker in a calendar month (UTC), set by an admin; no document: no limit.</summary>
public sealed record UserBudget
{
    /// <summary>The user's id.</summary>
    public Guid Id { get; init; }
    public TaskBudget Monthly { get; init; } = TaskBudget.None;
    public Guid SetBy { get; init; }
    public DateTimeOffset SetAt { get; init; }
}
