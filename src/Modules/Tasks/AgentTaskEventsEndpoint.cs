using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Catalyst.Contracts;
using Catalyst.Tasks.Domain;
using Catalyst.Tasks.Logs;
using Marten;
using Microsoft.AspNetCore.Http;
using Wolverine;

namespace Catalyst.Tasks;

/// <summary>
/// `GET /projects/{slug}/agents/{taskId}/events`: the log so far, then live lines, as server-sent events whose id is the
/// sequence number. Last-Event-ID resumes with no gap and no duplicate; a final status event closes the stream.
/// </summary>
public static class AgentTaskEventsEndpoint
{
    private static readonly TimeSpan StatusRecheck = TimeSpan.FromSeconds(2);

    public static async Task Get(string slug, Guid taskId, HttpContext http, ClaimsPrincipal user, IMessageBus bus, IQuerySession session,
        TaskLiveFeed feed, TaskLogReader reader, Metrics.TaskMetrics metrics)
    {
        var ct = http.RequestAborted;
        var project = await bus.InvokeAsync<ProjectRef?>(new FindMemberProject(user.UserId(), slug), ct);
        var task = project is null ? null : await session.LoadAsync<AgentTask>(taskId, ct);
        if (task is null || task.ProjectId != project!.Id)
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        var json = http.Request.Query["format"] == "json";
        var levels = GetAgentTaskLogsHandler.ParseLevels(http.Request.Query["level"], out var levelError);
        if (levelError is not null)
        {
            http.Response.StatusCode = StatusCodes.Status400BadRequest;
            await http.Response.WriteAsync(levelError.Message, ct);
            return;
        }
        var last = ResumeFrom(http.Request);

        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        var writer = new SseWriter(http.Response, json);
        using var client = metrics.FollowingLive();

        // Watch before reading the backlog, so nothing written in between is missed; duplicates are skipped by sequence.
        using var subscription = feed.Subscribe(taskId);
        last = await Backfill(writer, reader, taskId, last, levels, ct);
        var status = task.Status;
        await writer.Status(status, ct, task);

        while (!status.IsFinished())
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
            wait.CancelAfter(StatusRecheck);
            FeedItem? item = null;
            try
            {
                if (await subscription.Reader.WaitToReadAsync(wait.Token)) subscription.Reader.TryRead(out item);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // Quiet for a while: a dropped notification must not leave the stream open forever.
                var current = await session.LoadAsync<AgentTask>(taskId, ct);
                last = await Backfill(writer, reader, taskId, last, levels, ct);
                if (current is not null && current.Status != status) await writer.Status(status = current.Status, ct, current);
                continue;
            }

            switch (item)
            {
                case LogsWritten written:
                    if (written.Lines[0].Sequence > last + 1) last = await Backfill(writer, reader, taskId, last, levels, ct, written.Lines[0].Sequence);
                    foreach (var line in written.Lines)
                    {
                        if (line.Sequence <= last) continue;
                        if (levels is null || levels.Contains(line.Level)) await writer.Log(line, ct);
                        last = line.Sequence;
                    }
                    await writer.Flush(ct);
                    break;
                case StatusChangedItem changed:
                    if (changed.Status.IsFinished()) last = await Backfill(writer, reader, taskId, last, levels, ct);
                    await writer.Status(status = changed.Status, ct,
                        changed.Status.IsFinished() ? await session.LoadAsync<AgentTask>(taskId, ct) : null);
                    break;
                case LinesStoredElsewhere elsewhere:
                    last = await Backfill(writer, reader, taskId, last, levels, ct);
                    await writer.Flush(ct);
                    break;
                case UsageChangedItem:
                    await writer.Usage(ct);
                    break;
                case null when subscription.Reader.Completion.IsCompleted:
                    return;
            }
        }
        await writer.Ended(status, ct);
    }

    private static long ResumeFrom(HttpRequest request)
    {
        var header = request.Headers["Last-Event-ID"].ToString();
        if (long.TryParse(header, out var fromHeader) && fromHeader >= 0) return fromHeader;
        return long.TryParse(request.Query["after"], out var fromQuery) && fromQuery >= 0 ? fromQuery : 0;
    }

    private static async Task<long> Backfill(SseWriter writer, TaskLogReader reader, Guid taskId, long last,
        IReadOnlyCollection<TaskLogLevel>? levels, CancellationToken ct, long? before = null)
    {
        while (true)
        {
            var page = await reader.ReadAsync(taskId, new TaskLogReader.Filter(last, null, Limit: 2000, BeforeSequence: before), ct);
            foreach (var line in page)
            {
                if (levels is null || levels.Contains(line.Level)) await writer.Log(line, ct);
                last = line.Sequence;
            }
            await writer.Flush(ct);
            if (page.Count < 2000) return last;
        }
    }

    private sealed class SseWriter(HttpResponse response, bool json)
    {
        private readonly StringBuilder _buffer = new();

        public async Task Log(AgentTaskLog line, CancellationToken ct)
        {
            _buffer.Append("id: ").Append(line.Sequence).Append("\nevent: log\n");
            Data(json ? JsonSerializer.Serialize(new { seq = line.Sequence, ts = line.Timestamp, level = line.LevelName, kind = line.Kind, message = line.Message })
                : LogLineHtml.Render(line));
            if (_buffer.Length > 32_000) await Flush(ct);
        }

        /// <param name="task">The task as it is now, for a finished status: whether it made commits changes what the badge says.</param>
        public async Task Status(AgentTaskStatus status, CancellationToken ct, AgentTask? task = null)
        {
            _buffer.Append("event: status\n");
            Data(json ? JsonSerializer.Serialize(new { status = status.Name() }) : LogLineHtml.Badge(status, task?.Commits.Count ?? 0, task?.RunIds.Count > 0));
            await Flush(ct);
        }

        public async Task Usage(CancellationToken ct)
        {
            _buffer.Append("event: usage\n");
            Data(json ? "{}" : "");
            await Flush(ct);
        }

        public async Task Ended(AgentTaskStatus status, CancellationToken ct)
        {
            _buffer.Append("event: ended\n");
            Data(json ? JsonSerializer.Serialize(new { status = status.Name() }) : status.Name());
            await Flush(ct);
        }

        private void Data(string payload)
        {
            foreach (var line in payload.Split('\n')) _buffer.Append("data: ").Append(line.TrimEnd('\r')).Append('\n');
            _buffer.Append('\n');
        }

        public async Task Flush(CancellationToken ct)
        {
            if (_buffer.Length == 0) return;
            await response.WriteAsync(_buffer.ToString(), ct);
            _buffer.Clear();
            await response.Body.FlushAsync(ct);
        }
    }
}

/// <summary>The same markup for a log line whether the page renders it or the live stream sends it.</summary>
public static class LogLineHtml
{
    public static string Render(AgentTaskLog line)
    {
        var e = HtmlEncoder.Default;
        var classes = $"logline {line.LevelName} kind-{e.Encode(line.Kind)}";
        var content = $"<span class=\"seq\">{line.Sequence}</span><time class=\"ts\" datetime=\"{line.Timestamp:O}\" title=\"{line.Timestamp.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC\">" +
                      $"{line.Timestamp:HH:mm:ss}</time><span class=\"msg\">{e.Encode(line.Message)}</span>";
        // A tool call and its result fold to one line until opened (a <details>: it opens by click or keyboard with no script),
        // so the agent's own words stay readable between them.
        return line.Kind is TaskLogKinds.ToolCall or TaskLogKinds.ToolResult
            ? $"<details class=\"{classes} foldable\" data-seq=\"{line.Sequence}\"><summary title=\"Open or fold this {(line.Kind == TaskLogKinds.ToolCall ? "tool call" : "tool result")}\">{content}</summary></details>"
            : $"<div class=\"{classes}\" data-seq=\"{line.Sequence}\">{content}</div>";
    }

    public static string Badge(AgentTaskStatus status, int commits = 0, bool parallel = false)
    {
        var (label, tone) = AgentTask.Display(status, commits, parallel);
        return $"<span class=\"badge {tone}\">{label}</span>";
    }
}
