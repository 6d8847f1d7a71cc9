namespace Catalyst.Contracts;

/// <summary>Asked of the Tasks module by the project page: its latest tasks, for a member of the project.</summary>
public sealed record ListRecentAgentTasks(Guid UserId, Guid ProjectId, int Count = 10);

/// <summary>A task in a line: status as a person should read it, agent, how long it ran, what it cost, who started it.</summary>
public sealed record AgentTaskLine(Guid Id, string ProjectSlug, string Headline, string Status, string StatusLabel, string StatusTone, string Agent,
    DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? EndedAt, decimal? CostUsd, Guid CreatedBy);
