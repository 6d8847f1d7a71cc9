using Catalyst.Contracts;
using Catalyst.Integrations.GitHub;
using Marten;
using Wolverine;

namespace Catalyst.Integrations.Projects;

/// <summary>
/// Deletes a project for good. The caller says what becomes of its tasks (<see cref="TaskHistory"/> "keep" or "delete", no
/// default) and types the slug to confirm. Refused while any of its tasks has not ended. Its creator or an admin may do it.
/// </summary>
public sealed record DeleteProject(Guid UserId, bool IsAdmin, string Slug, string? ConfirmSlug, string? TaskHistory);

public static class DeleteProjectHandler
{
    public const string KeepHistory = "keep";
    public const string DeleteHistory = "delete";

    public static async Task<Result<ProjectView>> Handle(DeleteProject command, IDocumentSession session, IMessageBus bus, CancellationToken ct)
    {
        var project = await session.Query<Project>().FirstOrDefaultAsync(p => p.Slug == command.Slug, ct);
        if (project is null || !project.HasMember(command.UserId)) return Result<ProjectView>.NotFound("The project");
        if (project.RefusesRemovalBy(command.UserId, command.IsAdmin, "delete") is { } refused) return Result<ProjectView>.Fail(refused);

        var errors = new List<CommandError>();
        if (command.TaskHistory is not (KeepHistory or DeleteHistory))
            errors.Add(new(nameof(command.TaskHistory), "Choose what becomes of the project's tasks: keep their history, or delete it."));
        if (command.ConfirmSlug?.Trim() != project.Slug)
            errors.Add(new(nameof(command.ConfirmSlug), $"Type the project's slug, {project.Slug}, to confirm that this project is the one to delete."));
        if (errors.Count > 0) return Result<ProjectView>.Fail(errors);

        var unfinished = await bus.InvokeAsync<int>(new CountUnfinishedProjectTasks(project.Id), ct);
        if (unfinished > 0)
            return Result<ProjectView>.Fail(new CommandError("", unfinished == 1
                ? "1 task of this project is still queued, running or waiting for a decision. Cancel it or let it end, then delete the project."
                : $"{unfinished} tasks of this project are still queued, running or waiting for a decision. Cancel them or let them end, then delete the project.",
                ErrorKind.Conflict));

        // The tasks go first: should that fail, the project is still there to try again.
        if (command.TaskHistory == DeleteHistory) await bus.InvokeAsync(new DeleteProjectTasks(project.Id), ct);
        else await bus.InvokeAsync(new KeepProjectTasks(project.Id, project.Name, project.RepositoryUrl, project.DefaultBranch, project.GitHubRepository), ct);
        session.Delete<Project>(project.Id);
        // The project's GitHub keys go with it: nothing else can use them.
        foreach (var secret in new[] { GitHubConnection.PrivateKeySecret, GitHubConnection.TokenSecret, GitHubConnection.WebhookSecret })
            await bus.InvokeAsync<string?>(new StoreProjectSecret(project.Id, secret, null), ct);
        session.Delete<GitHubConnection>(project.Id);
        return Result<ProjectView>.Ok(ProjectView.From(project));
    }
}
