namespace Catalyst.Contracts;

/// <summary>
/// Sent by the Tasks module when a task ends or its plan waits for approval: the person who started it is told
/// (their webhook, their email), as their notification settings say.
/// </summary>
public sealed record AgentTaskNotification(
    Guid TaskId, Guid UserId, string ProjectSlug, string Headline, string Event, string Status, string StatusLabel, string? Error,
    int Commits, string? Branch, string Path, DateTimeOffset At);
