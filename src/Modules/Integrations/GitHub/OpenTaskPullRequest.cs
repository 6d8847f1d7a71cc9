using Catalyst.Contracts;
using Marten;
using Octokit;
using Wolverine;

namespace Catalyst.Integrations.GitHub;

/// <summary>"Open pull request" on a task started from a page or MCP: a draft pull request from its pushed work branch.</summary>
public sealed record OpenTaskPullRequest(Guid UserId, string Slug, Guid TaskId);

public static class OpenTaskPullRequestHandler
{
    public static async Task<(Result<string>, OutgoingMessages)> Handle(OpenTaskPullRequest command, IQuerySession session, IMessageBus bus,
        GitHubClients clients, GitHubOptions options, TimeProvider clock, CancellationToken ct)
    {
        var outgoing = new OutgoingMessages();
        var project = await bus.InvokeAsync<ProjectRef?>(new FindMemberProject(command.UserId, command.Slug), ct);
        var task = project is null ? null : await bus.InvokeAsync<AgentTaskReport?>(new FindAgentTaskReport(command.TaskId), ct);
        if (project is null || task is null || task.ProjectId != project.Id) return (Result<string>.NotFound("The task"), outgoing);
        if (task.PullRequestUrl is { } existing) return (Result<string>.Ok(existing), outgoing);
        if (task is not { Status: AgentTaskStatus.Completed, BranchPushed: true, Commits.Count: > 0 })
            return (Result<string>.Fail(new CommandError("", "Only a completed task whose commits were pushed can have a pull request.", ErrorKind.Conflict)), outgoing);
        var gh = await clients.ForProjectAsync(project, await session.LoadAsync<GitHubConnection>(project.Id, ct), bus, ct);
        if (gh is null)
            return (Result<string>.Fail(new CommandError("", "Connect the project to GitHub first (its GitHub page), then open the pull request.")), outgoing);
        try
        {
            var issue = task.Context is { Kind: "issue", Number: { } n } ? n : (int?)null;
            var pr = await PullRequests.OpenAsync(gh, task, null, issue, options);
            outgoing.Add(new PullRequestOpened(task.TaskId, pr.Number, pr.HtmlUrl, clock.GetUtcNow()));
            return (Result<string>.Ok(pr.HtmlUrl), outgoing);
        }
        catch (ApiException e)
        {
            return (Result<string>.Fail(new CommandError("", $"GitHub did not open the pull request ({(int)e.StatusCode}): {e.Message}")), outgoing);
        }
    }
}
