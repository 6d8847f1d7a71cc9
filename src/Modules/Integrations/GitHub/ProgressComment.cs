using System.Text;
using Catalyst.Contracts;
using Marten;
using Octokit;
using Wolverine;

namespace Catalyst.Integrations.GitHub;

/// <summary>The one comment a task from GitHub writes, rendered anew from where the task stands each time it moves.</summary>
public static class ProgressComment
{
    public const int MaxPlanChars = 20_000;

    public static string Starting(Guid taskId, string slug, string agent, string requestedBy, GitHubOptions options) =>
        $"{StartGitHubMarker(taskId)}\n**Catalyst is working on this** · {agent} · requested by @{requestedBy} · [task {Short(taskId)}]({options.TaskLink(slug, taskId)})\n\n⏳ Starting…";

    public static string Render(AgentTaskReport t, GitHubTaskThread thread, GitHubOptions options)
    {
        var text = new StringBuilder();
        text.AppendLine(StartGitHubMarker(t.TaskId));
        text.AppendLine($"**Catalyst is working on this** · {t.ProviderDisplayName} · requested by @{thread.RequestedBy} · [task {Short(t.TaskId)}]({options.TaskLink(t.ProjectSlug, t.TaskId)})");
        text.AppendLine();
        switch (t.Status)
        {
            case AgentTaskStatus.Pending:
                text.AppendLine("⏳ Queued: it starts when a slot is free.");
                break;
            case AgentTaskStatus.Provisioning:
                text.AppendLine("⏳ Preparing the workspace…");
                break;
            case AgentTaskStatus.Running:
                text.AppendLine($"🏃 Running since {t.StartedAt:HH:mm} UTC. Follow it live on the task page.");
                break;
            case AgentTaskStatus.AwaitingApproval:
                text.AppendLine("📝 The agent wrote a plan and waits for its approval on the task page.");
                if (t.Plan is { Length: > 0 } plan)
                    text.AppendLine().AppendLine("<details><summary>The plan</summary>").AppendLine()
                        .AppendLine(plan.Length > MaxPlanChars ? plan[..MaxPlanChars] + "\n\n[cut: the whole plan is on the task page]" : plan)
                        .AppendLine().AppendLine("</details>");
                break;
            case AgentTaskStatus.Completed:
                text.AppendLine($"✅ Done in {Duration(t)}.");
                Result(text, t, thread);
                break;
            default:
                text.AppendLine($"❌ {(t.Status == AgentTaskStatus.TimedOut ? "Timed out" : t.Status == AgentTaskStatus.Cancelled ? "Cancelled" : "Failed")} after {Duration(t)}: {t.Error}");
                Result(text, t, thread);
                text.AppendLine().AppendLine($"To try again, press Retry on the [task page]({options.TaskLink(t.ProjectSlug, t.TaskId)}), or comment again with new instructions.");
                break;
        }
        return text.ToString();
    }

    private static void Result(StringBuilder text, AgentTaskReport t, GitHubTaskThread thread)
    {
        if (t.Summary is { Length: > 0 } summary) text.AppendLine().AppendLine($"**Result:** {summary}");
        if (t.Commits.Count > 0)
        {
            text.AppendLine().AppendLine($"**Commits** on `{t.WorkBranch}`{(t.BranchPushed ? "" : " (not pushed)")}:");
            foreach (var c in t.Commits) text.AppendLine($"- `{c.Sha[..Math.Min(7, c.Sha.Length)]}` {c.Message.Split('\n')[0]} ({c.FilesChanged} files, +{c.Insertions} −{c.Deletions})");
        }
        if ((thread.PullRequestUrl ?? t.PullRequestUrl) is { } pr) text.AppendLine().AppendLine($"**Pull request:** {pr}");
        text.AppendLine().AppendLine($"Tokens: {t.TotalTokens:N0}{(t.CostUsd is { } cost ? $" · cost ${cost:0.00##}" : "")}");
    }

    private static string Duration(AgentTaskReport t)
    {
        var span = (t.EndedAt ?? DateTimeOffset.UtcNow) - (t.StartedAt ?? t.CreatedAt);
        return span.TotalMinutes >= 1 ? $"{(int)span.TotalMinutes}m {span.Seconds}s" : $"{Math.Max(0, (int)span.TotalSeconds)}s";
    }

    private static string StartGitHubMarker(Guid taskId) => $"{StartTaskFromGitHubHandler.Marker}<!-- catalyst:task:{taskId} -->";

    private static string Short(Guid id) => id.ToString("N")[^8..];
}

public static class ProgressCommentHandler
{
    public static async Task Handle(AgentTaskMoved message, IQuerySession session, IMessageBus bus, GitHubClients clients, GitHubOptions options, CancellationToken ct)
    {
        var thread = await session.LoadAsync<GitHubTaskThread>(message.Task.TaskId, ct);
        if (thread is null) return;
        var gh = await Client(thread.ProjectId, session, bus, clients, ct);
        if (gh is null) return;
        await gh.Client.Issue.Comment.Update(gh.Owner, gh.Name, thread.ProgressCommentId, ProgressComment.Render(message.Task, thread, options));
    }

    /// <summary>At the end: the pull request for an issue's fix, the review for a pull request, then the comment's final state.</summary>
    public static async Task<OutgoingMessages> Handle(AgentTaskEnded message, IDocumentSession session, IMessageBus bus, GitHubClients clients,
        GitHubOptions options, TimeProvider clock, CancellationToken ct)
    {
        var outgoing = new OutgoingMessages();
        var thread = await session.LoadAsync<GitHubTaskThread>(message.Task.TaskId, ct);
        if (thread is null) return outgoing;
        var gh = await Client(thread.ProjectId, session, bus, clients, ct);
        if (gh is null) return outgoing;
        var t = message.Task;

        if (t is { Status: AgentTaskStatus.Completed, Type: "pr-review" } && !thread.ReviewPosted && thread.IsPullRequest)
        {
            await gh.Client.PullRequest.Review.Create(gh.Owner, gh.Name, thread.Number, new PullRequestReviewCreate
            {
                Event = PullRequestReviewEvent.Comment,
                Body = $"{StartTaskFromGitHubHandler.Marker}\n{(string.IsNullOrWhiteSpace(t.FinalMessage) ? "The agent finished without a written review." : t.FinalMessage)}\n\n— Catalyst, [task {t.TaskId.ToString("N")[^8..]}]({options.TaskLink(t.ProjectSlug, t.TaskId)})",
            });
            thread = thread with { ReviewPosted = true };
        }
        if (OpensPullRequest(t) && thread.PullRequestUrl is null && (!thread.IsPullRequest || thread.BaseBranch is not null))
        {
            var pr = thread.IsPullRequest
                ? await PullRequests.OpenAsync(gh, t, $"{t.Title} (for #{thread.Number})", null, options, thread.BaseBranch)
                : await PullRequests.OpenAsync(gh, t, $"Fix #{thread.Number}: {thread.Title}", thread.Number, options);
            thread = thread with { PullRequestNumber = pr.Number, PullRequestUrl = pr.HtmlUrl };
            outgoing.Add(new PullRequestOpened(t.TaskId, pr.Number, pr.HtmlUrl, clock.GetUtcNow()));
        }
        session.Store(thread);
        await gh.Client.Issue.Comment.Update(gh.Owner, gh.Name, thread.ProgressCommentId, ProgressComment.Render(t, thread, options));
        return outgoing;
    }

    public static bool OpensPullRequest(AgentTaskReport t) =>
        t is { Status: AgentTaskStatus.Completed, BranchPushed: true, Commits.Count: > 0, PullRequestUrl: null } && t.Type is "issue-fix" or "feature-dev" or "refactor";

    private static async Task<GitHubRepositoryClient?> Client(Guid projectId, IQuerySession session, IMessageBus bus, GitHubClients clients, CancellationToken ct)
    {
        var project = await bus.InvokeAsync<ProjectRef?>(new FindProjectById(projectId), ct);
        return project is null ? null : await clients.ForProjectAsync(project, await session.LoadAsync<GitHubConnection>(projectId, ct), bus, ct);
    }
}

/// <summary>A draft pull request from a task's work branch against the project's branch.</summary>
public static class PullRequests
{
    public static Task<PullRequest> OpenAsync(GitHubRepositoryClient gh, AgentTaskReport t, string? title, int? issue, GitHubOptions options, string? baseBranch = null)
    {
        var body = new StringBuilder();
        body.AppendLine(StartTaskFromGitHubHandler.Marker);
        if (t.FinalMessage is { Length: > 0 } said) body.AppendLine(said.Trim()).AppendLine();
        body.AppendLine($"{t.Summary}.");
        foreach (var c in t.Commits) body.AppendLine($"- {c.Message.Split('\n')[0]}");
        body.AppendLine();
        if (issue is { } n) body.AppendLine($"Closes #{n}").AppendLine();
        body.AppendLine($"Opened by Catalyst for [task {t.TaskId.ToString("N")[^8..]}]({options.TaskLink(t.ProjectSlug, t.TaskId)}) ({t.ProviderDisplayName}).");
        return gh.Client.PullRequest.Create(gh.Owner, gh.Name, new NewPullRequest(title ?? (t.Title.Length > 0 ? t.Title : $"Catalyst task {t.TaskId}"), t.WorkBranch, baseBranch ?? t.BaseBranch ?? gh.Project.DefaultBranch)
        {
            Body = body.ToString(),
            Draft = true,
        });
    }
}
