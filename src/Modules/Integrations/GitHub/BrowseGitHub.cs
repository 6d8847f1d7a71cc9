using Catalyst.Contracts;
using Marten;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging;
using Octokit;
using Wolverine;

namespace Catalyst.Integrations.GitHub;

/// <summary>One open pull request or issue in a list.</summary>
public sealed record GitHubItem(int Number, string Title, string? Author, IReadOnlyList<string> Labels, DateTimeOffset UpdatedAt, string? HtmlUrl);

public sealed record GitHubItemPage(IReadOnlyList<GitHubItem> Items, int Page, bool HasNext);

public sealed record GitHubComment(string? Author, DateTimeOffset At, string Body);

public sealed record GitHubFile(string Path, string Status, int Additions, int Deletions, string? Patch);

/// <summary>A pull request or issue as its page shows it (a pull request has files and review threads).</summary>
public sealed record GitHubItemDetails(
    int Number, bool IsPullRequest, string Title, string? Body, string? Author, IReadOnlyList<string> Labels, string? HtmlUrl,
    IReadOnlyList<GitHubComment> Comments, IReadOnlyList<GitHubFile> Files, IReadOnlyList<ReviewThread> Threads, string? Head, string? Base);

/// <summary>
/// Reads for the pull request and issue pages, through the project's connection, kept for <see cref="CacheFor"/> so
/// that paging back and forth does not spend the rate limit.
/// </summary>
public sealed class GitHubBrowser(IMemoryCache cache, ILogger<GitHubBrowser> logger)
{
    public const int PageSize = 25;
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(60);

    public Task<GitHubItemPage> OpenAsync(GitHubRepositoryClient gh, bool pullRequests, int page) =>
        Cached($"{gh.Project.Id}/{(pullRequests ? "pulls" : "issues")}/{page}", async () =>
        {
            List<GitHubItem> items;
            int read;
            if (pullRequests)
            {
                var prs = await gh.Client.PullRequest.GetAllForRepository(gh.Owner, gh.Name, new PullRequestRequest { State = ItemStateFilter.Open },
                    new ApiOptions { PageSize = PageSize, PageCount = 1, StartPage = page });
                read = prs.Count;
                items = prs.Select(p => new GitHubItem(p.Number, p.Title, p.User?.Login, p.Labels.Select(l => l.Name).ToList(), p.UpdatedAt, p.HtmlUrl)).ToList();
            }
            else
            {
                var issues = await gh.Client.Issue.GetAllForRepository(gh.Owner, gh.Name, new RepositoryIssueRequest { State = ItemStateFilter.Open },
                    new ApiOptions { PageSize = PageSize, PageCount = 1, StartPage = page });
                read = issues.Count;
                // GitHub's issue list holds pull requests too.
                items = issues.Where(i => i.PullRequest is null)
                    .Select(i => new GitHubItem(i.Number, i.Title, i.User?.Login, i.Labels.Select(l => l.Name).ToList(), i.UpdatedAt ?? i.CreatedAt, i.HtmlUrl)).ToList();
            }
            return new GitHubItemPage(items, page, read >= PageSize);
        });

    public Task<GitHubItemDetails> DetailsAsync(GitHubRepositoryClient gh, bool pullRequest, int number) =>
        Cached($"{gh.Project.Id}/{(pullRequest ? "pull" : "issue")}/{number}", async () =>
        {
            var comments = (await gh.Client.Issue.Comment.GetAllForIssue(gh.Owner, gh.Name, number, new ApiOptions { PageSize = 100, PageCount = 1 }))
                .Select(c => new GitHubComment(c.User?.Login, c.CreatedAt, c.Body ?? "")).ToList();
            if (!pullRequest)
            {
                var issue = await gh.Client.Issue.Get(gh.Owner, gh.Name, number);
                return new GitHubItemDetails(issue.Number, false, issue.Title, issue.Body, issue.User?.Login, issue.Labels.Select(l => l.Name).ToList(),
                    issue.HtmlUrl, comments, [], [], null, null);
            }
            var pr = await gh.Client.PullRequest.Get(gh.Owner, gh.Name, number);
            var files = await gh.Client.PullRequest.Files(gh.Owner, gh.Name, number, new ApiOptions { PageSize = 100, PageCount = 3 });
            var reviewComments = await gh.Client.PullRequest.ReviewComment.GetAll(gh.Owner, gh.Name, number, new ApiOptions { PageSize = 100, PageCount = 1 });
            return new GitHubItemDetails(pr.Number, true, pr.Title, pr.Body, pr.User?.Login, pr.Labels.Select(l => l.Name).ToList(), pr.HtmlUrl, comments,
                files.Select(f => new GitHubFile(f.FileName, f.Status, f.Additions, f.Deletions, f.Patch)).ToList(),
                GitHubContextSnapshot.ThreadsOf(reviewComments), pr.Head?.Ref, pr.Base?.Ref);
        });

    private async Task<T> Cached<T>(string key, Func<Task<T>> read) where T : class
    {
        if (cache.TryGetValue(key, out T? hit) && hit is not null) return hit;
        var value = await read();
        cache.Set(key, value, CacheFor);
        return value;
    }

    /// <summary>The snapshot for a task about a pull request or issue; null when the project is not connected or GitHub fails.</summary>
    public async Task<ContextSnapshot?> SnapshotAsync(GitHubRepositoryClient gh, string kind, int number)
    {
        try
        {
            return new ContextSnapshot(kind == "pull_request"
                ? await GitHubContextSnapshot.ForPullRequestAsync(gh, number)
                : await GitHubContextSnapshot.ForIssueAsync(gh, number));
        }
        catch (Exception e) when (e is ApiException or HttpRequestException)
        {
            logger.LogWarning("The context of {Kind} #{Number} in {Repository} could not be read from GitHub: {Message}", kind, number, gh.FullName, e.Message);
            return null;
        }
    }
}

public static class TakeContextSnapshotHandler
{
    public static async Task<ContextSnapshot?> Handle(TakeContextSnapshot query, IQuerySession session, IMessageBus bus, GitHubClients clients,
        GitHubBrowser browser, CancellationToken ct)
    {
        var project = await bus.InvokeAsync<ProjectRef?>(new FindProjectById(query.ProjectId), ct);
        if (project is null) return null;
        var gh = await clients.ForProjectAsync(project, await session.LoadAsync<GitHubConnection>(project.Id, ct), bus, ct);
        return gh is null ? null : await browser.SnapshotAsync(gh, query.Kind, query.Number);
    }
}
