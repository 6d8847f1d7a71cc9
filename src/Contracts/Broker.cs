using Microsoft.Extensions.Configuration;

namespace Catalyst.Contracts;

// Workspace backend ↔ Credentials module (the LLM broker). A workspace never holds a key: it gets a task token that
// only the broker accepts, and the broker swaps it for the real key on the way to the vendor.

/// <summary>
/// Asked by a workspace backend, in process, when it starts a workspace (and again for a plan's execute phase): a fresh
/// task token for the credential granted to this task. Answers <see cref="TaskAccess"/>, or null when the credential
/// was never granted to the task, was deleted or was deactivated. Any earlier token of the task is revoked.
/// </summary>
public sealed record IssueTaskToken(Guid TaskId, Guid CredentialId, AgentProviderInfo Provider)
{
    /// <summary>The task's own budget (the project's, possibly lowered by the task); null fields: no limit.</summary>
    public TaskBudget Budget { get; init; } = TaskBudget.None;
}

/// <summary>
/// The task token (shown to the workspace once; only its hash is stored), the model to ask for, and the vendor base
/// URL the broker forwards to (the credential's own, else the provider's default). The workspace points its CLI at
/// the broker with the path of <see cref="UpstreamBaseUrl"/> kept, e.g. <c>http://127.0.0.1:PORT/v1</c>.
/// </summary>
public sealed record TaskAccess(Guid TaskId, string Token, string? Model, string UpstreamBaseUrl)
{
    /// <summary>The broker's own loopback URL (<c>Catalyst:Broker:Urls</c>), for workspaces that reach it without the socket.</summary>
    public string? BrokerUrl { get; init; }

    public override string ToString() => $"TaskAccess {{ TaskId = {TaskId}, Token = [REDACTED], UpstreamBaseUrl = {UpstreamBaseUrl} }}";
}

/// <summary>Sent when a task's workspace ends or the task ends: its token stops working at once.</summary>
public sealed record RevokeTaskToken(Guid TaskId);

/// <summary>A per-task budget: tokens (input + output + cache) and/or US dollars; null means no limit.</summary>
public sealed record TaskBudget(long? Tokens, decimal? Usd)
{
    public static readonly TaskBudget None = new(null, null);
}

/// <summary>Broker → Tasks: what one model request of the task used, read from the vendor's answer.</summary>
public sealed record LlmUsageMetered(
    Guid TaskId, string Model, long InputTokens, long OutputTokens, long CacheReadTokens, long CacheWriteTokens, decimal? CostUsd, DateTimeOffset At);

/// <summary>Broker → Tasks: the task (or its user's month) went over budget; the task ends failed with <see cref="Message"/>.</summary>
public sealed record TaskBudgetReached(Guid TaskId, string Message, DateTimeOffset At);

/// <summary>Where the broker listens for workspaces on this machine.</summary>
public static class BrokerPaths
{
    /// <summary><c>Catalyst:Broker:Socket</c>, default <c>&lt;data dir&gt;/run/broker.sock</c>: the Unix socket bind-mounted into each local sandbox.</summary>
    public static string Socket(IConfiguration configuration) =>
        configuration["Catalyst:Broker:Socket"] is { Length: > 0 } socket
            ? Path.GetFullPath(socket)
            : Path.Combine(CatalystPaths.DataDirectory(configuration), "run", "broker.sock");
}
