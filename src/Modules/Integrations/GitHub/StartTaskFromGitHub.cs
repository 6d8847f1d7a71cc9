using System.Text.RegularExpressions;
using Catalyst.Contracts;
using Marten;
using Microsoft.Extensions.Logging;
using Octokit;
using Wolverine;

namespace Catalyst.Integrations.GitHub;

/// <summary>A task started from a GitHub comment or label: where it answers (its one progress comment) and what it opened.</summary>
public sealed record GitHubTaskThread
{
    public Guid Id { get; init; }
    public Guid ProjectId { get; init; }
    public required string Repository { get; init; }
    public int Number { get; init; }
    public bool IsPullRequest { get; init; }
    public required string Title { get; init; }
    public long ProgressCommentId { get; init; }
    public required string RequestedBy { get; init; }
    public int? PullRequestNumber { get; init; }
    public string? PullRequestUrl { get; init; }
    public bool ReviewPosted { get; init; }

    /// <summary>A task that changes a pull request: its head branch, which the task starts from and its own pull request targets.</summary>
    public string? BaseBranch { get; init; }
}

/// <summary>A delivery's work for one project, done: a second run of it (the queue delivers at least once) does nothing.</summary>
public sealed record GitHubDeliveryHandled
{
    public required string Id { get; init; }

    public static string KeyOf(string deliveryId, Guid projectId) => $"{deliveryId}/{projectId:N}";

    /// <summary>The advisory lock of one delivery's work for one project.</summary>
    public static long LockOf(string key) => BitConverter.ToInt64(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("github-delivery/" + key)));
}

/// <summary>
/// A delivery's work for one project that got as far as starting a task: the task's id, taken before anything is said on
/// GitHub. A run after one that stopped part way (an error, a crash) goes on with the same task and its progress comment
/// instead of posting a second comment and starting a second task.
/// </summary>
public sealed record GitHubDeliveryStarted
{
    public required string Id { get; init; }
    public Guid TaskId { get; init; }
}

/// <summary>
/// The work of a delivery: a comment that names the handle (or the trigger label) starts a task for a person who has
/// write access, a linked Catalyst account in the project and a credential for the project's agent. Anyone else gets
/// one reply that says what is missing; bots and Catalyst's own comments never start anything.
/// </summary>
public static class StartTaskFromGitHubHandler
{
    /// <summary>Every comment Catalyst writes carries this, so that its own words never trigger it.</summary>
    public const string Marker = "<!-- catalyst -->";

    /// <summary>
    /// The durable queue delivers at least once: a run recovered while the first is still under way (or after a crash)
    /// must not start a second task or post a second comment. One run at a time per delivery and project holds a lock
    /// on its own connection; a run that finds the work done (or under way) does nothing. A crashed run's lock goes
    /// with its connection, so its recovery does the work.
    /// </summary>
    public static async Task Handle(HandleGitHubActivity message, IDocumentSession session, IDocumentStore store, IMessageBus bus, GitHubClients clients,
        GitHubOptions options, ILogger<GitHubTaskThread> logger, CancellationToken ct)
    {
        var key = GitHubDeliveryHandled.KeyOf(message.DeliveryId, message.ProjectId);
        var lockKey = GitHubDeliveryHandled.LockOf(key);
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        if (!await AdvisoryAsync(connection, "select pg_try_advisory_lock($1)", lockKey, ct))
        {
            logger.LogInformation("GitHub delivery {Delivery} for project {Project} is being handled by another run; this one does nothing", message.DeliveryId, message.ProjectId);
            return;
        }
        try
        {
            if (await session.LoadAsync<GitHubDeliveryHandled>(key, ct) is not null)
            {
                logger.LogInformation("GitHub delivery {Delivery} for project {Project} was handled already; this run does nothing", message.DeliveryId, message.ProjectId);
                return;
            }
            await HandleOnce(message, key, session, bus, clients, options, logger, ct);
            // Stored before the lock goes: a run after this one finds it.
            session.Store(new GitHubDeliveryHandled { Id = key });
            session.Delete<GitHubDeliveryStarted>(key);
            await session.SaveChangesAsync(ct);
        }
        finally
        {
            // A pooled connection keeps a session's lock until it is used again: let it go now.
            await AdvisoryAsync(connection, "select pg_advisory_unlock($1)", lockKey, CancellationToken.None);
        }
    }

    private static async Task<bool> AdvisoryAsync(Npgsql.NpgsqlConnection connection, string sql, long key, CancellationToken ct)
    {
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = key });
        return await command.ExecuteScalarAsync(ct) is true;
    }

    private static async Task HandleOnce(HandleGitHubActivity message, string key, IDocumentSession session, IMessageBus bus, GitHubClients clients,
        GitHubOptions options, ILogger<GitHubTaskThread> logger, CancellationToken ct)
    {
        var activity = message.Activity;
        var connection = await session.LoadAsync<GitHubConnection>(message.ProjectId, ct);
        if (connection is null) return;
        var instructions = activity.CommentKind == "label"
            ? string.Equals(activity.Label, connection.TriggerLabel, StringComparison.OrdinalIgnoreCase)
                ? $"Fix issue #{activity.Number}: {activity.Title}" : null
            : MentionOf(activity.Text, connection.TriggerHandle);
        if (instructions is null) return;

        var project = await bus.InvokeAsync<ProjectRef?>(new FindProjectById(message.ProjectId), ct);
        var gh = project is null ? null : await clients.ForProjectAsync(project, connection, bus, ct);
        if (gh is null)
        {
            logger.LogWarning("GitHub delivery {Delivery} for project {Project} was not handled: the project's GitHub connection is incomplete", message.DeliveryId, message.ProjectId);
            return;
        }

        var refusal = await Refusal(activity, instructions, connection, gh, bus, options, ct);
        if (refusal is not null)
        {
            await gh.Client.Issue.Comment.Create(gh.Owner, gh.Name, activity.Number, $"{Marker}\n{refusal}");
            return;
        }
        var user = (await bus.InvokeAsync<UserRef?>(new FindUserByGitHubId(activity.SenderId), ct))!;
        var credential = (await bus.InvokeAsync<CredentialRef?>(new FindDefaultUserCredential(user.Id, connection.DefaultAgent), ct))!;

        // The task's id is kept before anything is said on GitHub; a run after one that stopped part way finds it, and
        // the progress comment too once it was posted.
        var started = await session.LoadAsync<GitHubDeliveryStarted>(key, ct);
        var taskId = started?.TaskId ?? Guid.CreateVersion7();
        if (started is null)
        {
            session.Store(new GitHubDeliveryStarted { Id = key, TaskId = taskId });
            await session.SaveChangesAsync(ct);
        }
        var thread = started is null ? null : await session.LoadAsync<GitHubTaskThread>(taskId, ct);
        if (thread is null) await Acknowledge(gh, activity);
        var type = activity.IsPullRequest ? "pr-review" : "issue-fix";
        string? baseBranch = null;
        // On a pull request, asking for anything but a review changes it: on a branch of the task's own, started from
        // the pull request's head and proposed back to it. A fork's branch is not in the repository: then a review.
        if (activity.IsPullRequest && activity.CommentKind != "review" && !Regex.IsMatch(instructions, @"^\W*review\b", RegexOptions.IgnoreCase))
        {
            var pr = await gh.Client.PullRequest.Get(gh.Owner, gh.Name, activity.Number);
            if (string.Equals(pr.Head?.Repository?.FullName ?? gh.FullName, gh.FullName, StringComparison.OrdinalIgnoreCase) && pr.Head?.Ref is { } head)
                (type, baseBranch) = ("feature-dev", head);
        }
        var snapshot = activity.IsPullRequest
            ? await GitHubContextSnapshot.ForPullRequestAsync(gh, activity.Number)
            : await GitHubContextSnapshot.ForIssueAsync(gh, activity.Number);
        if (activity.CommentKind == "review_comment")
            snapshot += $"\n\n## The review comment that asked for this\n{activity.Text.Trim()}";

        if (thread is null)
        {
            var agent = await bus.InvokeAsync<AgentProviderInfo?>(new GetAgentProvider(connection.DefaultAgent), ct);
            var comment = await gh.Client.Issue.Comment.Create(gh.Owner, gh.Name, activity.Number,
                ProgressComment.Starting(taskId, project!.Slug, agent?.DisplayName ?? connection.DefaultAgent, activity.SenderLogin, options));
            // The thread is stored before the task exists, so that no status change of the task can miss it.
            thread = new GitHubTaskThread
            {
                Id = taskId, ProjectId = project.Id, Repository = gh.FullName, Number = activity.Number, IsPullRequest = activity.IsPullRequest,
                Title = activity.Title, ProgressCommentId = comment.Id, RequestedBy = activity.SenderLogin, BaseBranch = baseBranch,
            };
            session.Store(thread);
            await session.SaveChangesAsync(ct);
        }

        var result = await bus.InvokeAsync<Result<AgentTaskCreatedResult>>(new CreateAgentTask(user.Id, project!.Slug, type, instructions,
            connection.DefaultAgent, credential.Id, Context: new TaskContext(activity.IsPullRequest ? "pull_request" : "issue", activity.Number, snapshot),
            Origin: new TaskOrigin("github", activity.SenderLogin, gh.FullName)) { TaskId = taskId, BaseBranch = baseBranch }, ct);
        if (!result.Succeeded)
        {
            session.Delete<GitHubTaskThread>(taskId);
            await gh.Client.Issue.Comment.Update(gh.Owner, gh.Name, thread.ProgressCommentId,
                $"{Marker}\n@{activity.SenderLogin}, Catalyst could not start the task: {string.Join(" ", result.Errors.Select(e => e.Message))}");
        }
    }

    /// <summary>The instructions after the handle, or null when the text does not name it (or is Catalyst's own).</summary>
    public static string? MentionOf(string text, string handle)
    {
        if (string.IsNullOrEmpty(text) || text.Contains(Marker, StringComparison.Ordinal)) return null;
        var match = Regex.Match(text, $@"(?<![\w@/-]){Regex.Escape(handle)}(?![\w-])", RegexOptions.IgnoreCase);
        return match.Success ? text[(match.Index + match.Length)..].Trim() : null;
    }

    private static async Task<string?> Refusal(GitHubActivity activity, string instructions, GitHubConnection connection, GitHubRepositoryClient gh,
        IMessageBus bus, GitHubOptions options, CancellationToken ct)
    {
        var who = $"@{activity.SenderLogin}";
        if (activity.SenderIsBot) return $"{who}: comments by bots do not start Catalyst tasks. A person with write access can ask instead.";
        var permission = await gh.Client.Repository.Collaborator.ReviewPermission(gh.Owner, gh.Name, activity.SenderLogin);
        if (permission.Permission is not ("admin" or "write"))
            return $"{who}: Catalyst starts tasks only for people with write access to {gh.FullName} (you have {permission.Permission ?? "none"}). Ask a maintainer to run it.";
        if (gh.Project.Archived)
            return $"{who}: the Catalyst project “{gh.Project.Name}” is archived and takes no new tasks. Unarchive it on {options.PublicUrl}/projects/{gh.Project.Slug}/edit, then comment again.";
        var user = await bus.InvokeAsync<UserRef?>(new FindUserByGitHubId(activity.SenderId), ct);
        if (user is null)
            return $"{who}: your GitHub account is not linked to a Catalyst account. Link it under “GitHub” on your account page ({options.PublicUrl}/settings/account), or sign in to Catalyst with GitHub once ({options.PublicUrl}/signin), then comment again.";
        if (!gh.Project.MemberIds.Contains(user.Id))
            return $"{who}: your Catalyst account is not a member of the project “{gh.Project.Name}”. Ask a member to add you on {options.PublicUrl}/projects/{gh.Project.Slug}, then comment again.";
        if (await bus.InvokeAsync<CredentialRef?>(new FindDefaultUserCredential(user.Id, connection.DefaultAgent), ct) is null)
        {
            var agent = (await bus.InvokeAsync<AgentProviderInfo?>(new GetAgentProvider(connection.DefaultAgent), ct))?.DisplayName ?? connection.DefaultAgent;
            var usable = await bus.InvokeAsync<int>(new CountUsableUserCredentials(user.Id, connection.DefaultAgent), ct);
            return usable == 0
                ? $"{who}: this project runs {agent}, and you have no credential for it in Catalyst. Add one at {options.PublicUrl}/settings/agents/new, then comment again."
                : $"{who}: this project runs {agent}, and you have {usable} credentials for it in Catalyst with none marked as the default. Press “Make default” beside the one to use at {options.PublicUrl}/settings/agents, then comment again.";
        }
        if (instructions.Length == 0)
            return $"{who}: say what the agent should do after the handle, e.g. `{connection.TriggerHandle} fix the failing test`.";
        return null;
    }

    /// <summary>👀 on the comment that was accepted (a review or a label has nothing to react to but the issue).</summary>
    private static async Task Acknowledge(GitHubRepositoryClient gh, GitHubActivity activity)
    {
        var eyes = new NewReaction(ReactionType.Eyes);
        switch (activity.CommentKind)
        {
            case "issue_comment": await gh.Client.Reaction.IssueComment.Create(gh.Owner, gh.Name, activity.CommentId!.Value, eyes); break;
            case "review_comment": await gh.Client.Reaction.PullRequestReviewComment.Create(gh.Owner, gh.Name, activity.CommentId!.Value, eyes); break;
            default: await gh.Client.Reaction.Issue.Create(gh.Owner, gh.Name, activity.Number, eyes); break;
        }
    }
}
