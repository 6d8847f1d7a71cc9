using Catalyst.Contracts;

namespace Catalyst.Integrations.Projects;

/// <summary>A repository that agents work on, and the people who may start and see tasks on it.</summary>
public sealed record Project
{
    public Guid Id { get; init; }
    public required string Name { get; init; }
    public required string Slug { get; init; }
    public required string RepositoryUrl { get; init; }
    public required string DefaultBranch { get; init; }
    public string? GitHubRepository { get; init; }
    public List<Guid> MemberIds { get; init; } = [];
    /// <summary>Email addresses (lower case) invited to the project; each becomes a member when that person next signs in or up.</summary>
    public List<string> InvitedEmails { get; init; } = [];
    public ProjectLimits Limits { get; init; } = new();
    public ProjectHooks Hooks { get; init; } = ProjectHooks.None;
    public ProjectSandbox Sandbox { get; init; } = ProjectSandbox.None;
    public TaskBudget TaskBudget { get; init; } = TaskBudget.None;
    public Guid CreatedBy { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    /// <summary>When it was archived: read-only from then on, and no new tasks, until it is unarchived.</summary>
    public DateTimeOffset? ArchivedAt { get; init; }

    public bool HasMember(Guid userId) => MemberIds.Contains(userId);

    /// <summary>Archive, unarchive and delete are for the member who created the project, or an admin who is a member.</summary>
    public CommandError? RefusesRemovalBy(Guid userId, bool isAdmin, string verb) => HasMember(userId) && (CreatedBy == userId || isAdmin) ? null
        : new CommandError("", $"Only the person who created the project, or an admin, can {verb} it.", ErrorKind.Forbidden);

    /// <summary>The answer to a change an archived project does not take.</summary>
    public CommandError? RefusesChanges(string what) => ArchivedAt is null ? null
        : new CommandError("", $"The project “{Slug}” is archived, so it is read-only: {what}. Unarchive it on its settings page first.", ErrorKind.Conflict);
}

public sealed record ProjectLimits
{
    public const int DefaultTimeoutSeconds = 3600;
    public int TimeoutSeconds { get; init; } = DefaultTimeoutSeconds;
    public int MaxConcurrentTasks { get; init; } = 2;
    public double? CpuCores { get; init; }
    public int? MemoryMegabytes { get; init; }
}

public sealed record ProjectView(
    Guid Id, string Name, string Slug, string RepositoryUrl, string DefaultBranch, string? GitHubRepository,
    int TimeoutSeconds, int MaxConcurrentTasks, IReadOnlyList<Guid> MemberIds, Guid CreatedBy, DateTimeOffset CreatedAt)
{
    public IReadOnlyList<string> InvitedEmails { get; init; } = [];
    public ProjectHooks Hooks { get; init; } = ProjectHooks.None;
    public ProjectSandbox Sandbox { get; init; } = ProjectSandbox.None;
    public TaskBudget TaskBudget { get; init; } = TaskBudget.None;
    public DateTimeOffset? ArchivedAt { get; init; }
    public bool IsArchived => ArchivedAt is not null;

    public static ProjectView From(Project p) => new(p.Id, p.Name, p.Slug, p.RepositoryUrl, p.DefaultBranch, p.GitHubRepository,
        p.Limits.TimeoutSeconds, p.Limits.MaxConcurrentTasks, p.MemberIds, p.CreatedBy, p.CreatedAt)
    {
        Hooks = p.Hooks, Sandbox = p.Sandbox, TaskBudget = p.TaskBudget, InvitedEmails = p.InvitedEmails, ArchivedAt = p.ArchivedAt,
    };
}
