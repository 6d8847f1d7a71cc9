namespace Catalyst.Contracts;

/// <summary>Asked by other modules: the project with this slug, if the user is a member; null otherwise.</summary>
public sealed record FindMemberProject(Guid UserId, string Slug);

/// <summary>Sent when someone signs in or up: the projects that invited their email address take them in as a member.</summary>
public sealed record AcceptProjectInvitations(Guid UserId, string Email);

/// <summary>Integrations → Host: a member invited this address to a project; the Host emails the invitation when SMTP is configured.</summary>
public sealed record ProjectInvitationIssued(string Email, string ProjectName, string ProjectSlug, Guid InvitedBy);

/// <summary>Asked by system processes (the queue, the workspace backend): the project by id, whoever asks.</summary>
public sealed record FindProjectById(Guid ProjectId);

public sealed record ProjectRef(
    Guid Id, string Slug, string Name, string RepositoryUrl, string DefaultBranch, string? GitHubRepository,
    int TimeoutSeconds, int MaxConcurrentTasks, IReadOnlyList<Guid> MemberIds)
{
    public ProjectHooks Hooks { get; init; } = ProjectHooks.None;

    /// <summary>What one task of the project may spend through the LLM broker; a task may ask for less.</summary>
    public TaskBudget TaskBudget { get; init; } = TaskBudget.None;
    public ProjectSandbox Sandbox { get; init; } = ProjectSandbox.None;

    /// <summary>Archived: read-only, takes no new tasks until it is unarchived.</summary>
    public bool Archived { get; init; }
}

/// <summary>Integrations → Tasks, before a project is deleted: how many of its tasks have not ended yet.</summary>
public sealed record CountUnfinishedProjectTasks(Guid ProjectId);

/// <summary>Integrations → Tasks, when a project is deleted with its history: every task of it, its events and its log, erased.</summary>
public sealed record DeleteProjectTasks(Guid ProjectId);

/// <summary>
/// Integrations → Tasks, when a project is deleted keeping its history: its tasks stay as read-only history for the people
/// who started them, with what they need of the project to show their changes.
/// </summary>
public sealed record KeepProjectTasks(Guid ProjectId, string ProjectName, string RepositoryUrl, string DefaultBranch, string? GitHubRepository);

/// <summary>
/// What a project's workspaces may reach and use: the hosts they may connect to through the egress proxy (see
/// <see cref="EgressAllowList"/>; none: the broker only), and their memory, CPU and process limits (null: the backend's default).
/// </summary>
public sealed record ProjectSandbox(IReadOnlyList<string> AllowedHosts, int? MemoryMiB, double? Cpus, int? Processes)
{
    public static readonly ProjectSandbox None = new([], null, null, null);
}

/// <summary>
/// Shell commands a project runs in the task's clone: <see cref="Pre"/> before the agent starts (the first that fails
/// fails the task), <see cref="Post"/> after it exits (a failure is reported on the task; the agent's work stays).
/// </summary>
public sealed record ProjectHooks(IReadOnlyList<string> Pre, IReadOnlyList<string> Post)
{
    public static readonly ProjectHooks None = new([], []);

    public bool IsEmpty => Pre.Count == 0 && Post.Count == 0;
}

/// <summary>The projects a person is a member of (for pages of other modules that list across them).</summary>
public sealed record ListMemberProjects(Guid UserId);
