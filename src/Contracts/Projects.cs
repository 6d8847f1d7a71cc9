namespace Catalyst.Contracts;

/// <summary>Asked by other modules: the project with this slug, if the user is a member; null otherwise.</summary>
public sealed record FindMemberProject(Guid UserId, string Slug);

/// <summary>Asked by system processes (the queue, the workspace backend): the project by id, whoever asks.</summary>
public sealed record FindProjectById(Guid ProjectId);

public sealed record ProjectRef(
    Guid Id, string Slug, string Name, string RepositoryUrl, string DefaultBranch, string? GitHubRepository,
    int TimeoutSeconds, int MaxConcurrentTasks, IReadOnlyList<Guid> MemberIds);
