namespace Catalyst.Tasks.Logs;

public enum TaskLogLevel
{
    Debug,
    Info,
    Warn,
    Error,
}

public static class TaskLogKinds
{
    public const string AgentMessage = "agent_message";
    public const string ToolCall = "tool_call";
    public const string ToolResult = "tool_result";
    public const string FileChange = "file_change";
    public const string Usage = "usage";
    public const string System = "system";
    public const string Stdout = "stdout";
    public const string Stderr = "stderr";
    /// <summary>What a project hook printed.</summary>
    public const string Hook = "hook";
}

/// <summary>One line of a task's log: what every page, SSE stream and MCP tool reads. Sequence numbers are gap-free per task.</summary>
public sealed record AgentTaskLog(Guid TaskId, long Sequence, DateTimeOffset Timestamp, TaskLogLevel Level, string Kind, string Message, string? Metadata)
{
    public string LevelName => Level.ToString().ToLowerInvariant();
}

/// <summary>A line before it is numbered and stored.</summary>
public sealed record NewLogEntry(DateTimeOffset At, TaskLogLevel Level, string Kind, string Message, string? Metadata = null);

/// <summary>Sent after a task's status changed and the change is committed: live views refresh, other modules may react.</summary>
public sealed record AgentTaskStatusChanged(Guid TaskId, Catalyst.Contracts.AgentTaskStatus Status);
