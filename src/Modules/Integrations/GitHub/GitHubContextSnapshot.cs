using System.Text;
using Octokit;

namespace Catalyst.Integrations.GitHub;

/// <summary>
/// What the agent is given of an issue or pull request: title, body, labels, comments, review threads with file and
/// line, and the diff, cut at <see cref="MaxDiffBytes"/> with a note saying so.
/// </summary>
public static class GitHubContextSnapshot
{
    public const int MaxDiffBytes = 40 * 1024;

    /// <summary>The whole snapshot's limit: it goes on the agent's command line with the instructions (a task takes at most 64 KB of context).</summary>
    public const int MaxSnapshotBytes = 60 * 1024;
    public const int MaxComments = 100;

    public static async Task<string> ForIssueAsync(GitHubRepositoryClient gh, int number)
    {
        var issue = await gh.Client.Issue.Get(gh.Owner, gh.Name, number);
        var comments = await gh.Client.Issue.Comment.GetAllForIssue(gh.Owner, gh.Name, number, new ApiOptions { PageSize = MaxComments, PageCount = 1 });
        var text = new StringBuilder();
        text.AppendLine($"# Issue #{issue.Number} in {gh.FullName}: {issue.Title}");
        Head(text, issue.User?.Login, issue.Labels.Select(l => l.Name), issue.HtmlUrl);
        Body(text, issue.Body);
        Comments(text, comments.Select(c => (c.User?.Login, c.CreatedAt, (string?)c.Body)));
        return Cap(text.ToString());
    }

    public static async Task<string> ForPullRequestAsync(GitHubRepositoryClient gh, int number)
    {
        var pr = await gh.Client.PullRequest.Get(gh.Owner, gh.Name, number);
        var comments = await gh.Client.Issue.Comment.GetAllForIssue(gh.Owner, gh.Name, number, new ApiOptions { PageSize = MaxComments, PageCount = 1 });
        var reviewComments = await gh.Client.PullRequest.ReviewComment.GetAll(gh.Owner, gh.Name, number, new ApiOptions { PageSize = MaxComments, PageCount = 1 });
        var files = await gh.Client.PullRequest.Files(gh.Owner, gh.Name, number, new ApiOptions { PageSize = 100, PageCount = 3 });
        var text = new StringBuilder();
        text.AppendLine($"# Pull request #{pr.Number} in {gh.FullName}: {pr.Title}");
        text.AppendLine($"Head `{pr.Head?.Ref}` → base `{pr.Base?.Ref}`.");
        Head(text, pr.User?.Login, pr.Labels.Select(l => l.Name), pr.HtmlUrl);
        Body(text, pr.Body);
        Comments(text, comments.Select(c => (c.User?.Login, c.CreatedAt, (string?)c.Body)));
        Threads(text, reviewComments);
        Diff(text, files);
        return Cap(text.ToString());
    }

    /// <summary>At most <see cref="MaxSnapshotBytes"/>, with a note saying what was left out.</summary>
    public static string Cap(string snapshot)
    {
        const string note = "\n\n[The context was cut at 60 KB; read the rest on GitHub or in the repository.]";
        if (Encoding.UTF8.GetByteCount(snapshot) <= MaxSnapshotBytes) return snapshot;
        var keep = snapshot.Length;
        while (keep > 0 && Encoding.UTF8.GetByteCount(snapshot.AsSpan(0, keep)) > MaxSnapshotBytes - Encoding.UTF8.GetByteCount(note)) keep -= Math.Max(1, (keep - MaxSnapshotBytes / 2) / 8);
        if (keep > 0 && char.IsHighSurrogate(snapshot[keep - 1])) keep--;
        return snapshot[..keep] + note;
    }

    private static void Head(StringBuilder text, string? author, IEnumerable<string> labels, string? url)
    {
        var names = labels.ToList();
        text.AppendLine($"Opened by @{author}{(names.Count > 0 ? $" · labels: {string.Join(", ", names)}" : "")}{(url is null ? "" : $" · {url}")}");
    }

    private static void Body(StringBuilder text, string? body)
    {
        text.AppendLine().AppendLine("## Description").AppendLine(string.IsNullOrWhiteSpace(body) ? "(no description)" : body.Trim());
    }

    private static void Comments(StringBuilder text, IEnumerable<(string? Login, DateTimeOffset At, string? Body)> comments)
    {
        var list = comments.ToList();
        if (list.Count == 0) return;
        text.AppendLine().AppendLine("## Comments");
        foreach (var (login, at, body) in list) text.AppendLine($"**@{login}** ({at:yyyy-MM-dd HH:mm} UTC): {body?.Trim()}").AppendLine();
    }

    /// <summary>Review comments grouped into their threads (a reply names the comment it answers), each under its file and line.</summary>
    public static IReadOnlyList<ReviewThread> ThreadsOf(IEnumerable<PullRequestReviewComment> comments)
    {
        var all = comments.ToList();
        return all.Where(c => c.InReplyToId is null)
            .Select(root => new ReviewThread(root.Path, LineOf(root.DiffHunk), root.DiffHunk,
                [new(root.User?.Login, root.Body), .. all.Where(r => r.InReplyToId == root.Id).Select(r => new ReviewNote(r.User?.Login, r.Body))]))
            .ToList();
    }

    /// <summary>
    /// The line a review comment is on, in the changed file: Octokit 14 does not read GitHub's <c>line</c>, but the
    /// comment's diff hunk ends at its line, and the hunk header says where the hunk starts.
    /// </summary>
    public static int? LineOf(string? diffHunk)
    {
        if (string.IsNullOrEmpty(diffHunk)) return null;
        var lines = diffHunk.Replace("\r\n", "\n").TrimEnd('\n').Split('\n');
        var header = System.Text.RegularExpressions.Regex.Match(lines[0], @"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@");
        if (!header.Success) return null;
        var line = int.Parse(header.Groups[1].Value) - 1;
        foreach (var l in lines.Skip(1))
        {
            if (!l.StartsWith('-')) line++;
        }
        return line;
    }

    private static void Threads(StringBuilder text, IEnumerable<PullRequestReviewComment> comments)
    {
        var threads = ThreadsOf(comments);
        if (threads.Count == 0) return;
        text.AppendLine().AppendLine("## Review threads");
        foreach (var thread in threads)
        {
            text.AppendLine($"### {thread.Path}{(thread.Line is { } line ? $" line {line}" : "")}");
            foreach (var note in thread.Notes) text.AppendLine($"- **@{note.Login}**: {note.Body?.Trim()}");
        }
    }

    private static void Diff(StringBuilder text, IReadOnlyList<PullRequestFile> files)
    {
        text.AppendLine().AppendLine($"## Changed files ({files.Count})");
        var written = 0;
        var cut = 0;
        foreach (var file in files)
        {
            var patch = file.Patch ?? "";
            var header = $"### {file.FileName} ({file.Status}, +{file.Additions} −{file.Deletions})";
            if (written + Encoding.UTF8.GetByteCount(patch) > MaxDiffBytes)
            {
                text.AppendLine(header);
                cut += Encoding.UTF8.GetByteCount(patch);
                continue;
            }
            written += Encoding.UTF8.GetByteCount(patch);
            text.AppendLine(header).AppendLine("```diff").AppendLine(patch).AppendLine("```");
        }
        if (cut > 0)
            text.AppendLine().AppendLine($"[The diff was cut at {MaxDiffBytes / 1024} KB: {cut:N0} more bytes of patches are not shown. Read those files in the repository.]");
    }
}

public sealed record ReviewThread(string Path, int? Line, string? DiffHunk, IReadOnlyList<ReviewNote> Notes);

public sealed record ReviewNote(string? Login, string? Body);
