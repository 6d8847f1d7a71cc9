using Catalyst.Contracts;
using Catalyst.Web;
using Catalyst.Integrations.GitHub;
using Catalyst.Integrations.Projects;
using Microsoft.AspNetCore.Mvc;
using Octokit;
using Wolverine;

namespace Catalyst.Integrations.Pages.Projects.GitHub;

/// <summary>What the pull request and issue pages share: the member's project, its connection, and GitHub's answer or why there is none.</summary>
public abstract class GitHubPageModel(IMessageBus bus, GitHubClients clients) : CatalystPageModel
{
    [BindProperty(SupportsGet = true)] public string Slug { get; set; } = "";
    public ProjectView Project { get; private set; } = null!;
    public string? Problem { get; protected set; }
    public IReadOnlyList<ContextTaskRef> Tasks { get; private set; } = [];
    protected IMessageBus Bus => bus;

    /// <summary>False when the project does not exist for this person (a 404).</summary>
    protected async Task<bool> Load(string kind, Func<GitHubRepositoryClient, Task> read, CancellationToken ct)
    {
        var project = await bus.InvokeAsync<ProjectView?>(new GetProject(CurrentUserId, Slug), ct);
        if (project is null) return false;
        Project = project;
        var reference = await bus.InvokeAsync<ProjectRef?>(new FindProjectById(project.Id), ct);
        var connection = await bus.InvokeAsync<GitHubConnection?>(new GetGitHubConnection(project.Id), ct);
        var gh = reference is null ? null : await clients.ForProjectAsync(reference, connection, bus, ct);
        if (gh is null)
        {
            Problem = "This project is not connected to GitHub yet: set its repository under Edit and its connection under GitHub.";
            return true;
        }
        Tasks = await bus.InvokeAsync<IReadOnlyList<ContextTaskRef>>(new ListContextTasks(project.Id, kind), ct);
        try
        {
            await read(gh);
        }
        catch (NotFoundException)
        {
            Problem = $"GitHub has no such {(kind == "issue" ? "issue" : "pull request")} in {gh.FullName}, or the connection cannot see it.";
        }
        catch (Exception e) when (e is ApiException or HttpRequestException)
        {
            Problem = $"GitHub did not answer as expected: {e.Message}";
        }
        return true;
    }

    public IEnumerable<ContextTaskRef> TasksOn(int number) => Tasks.Where(t => t.Number == number);
}
