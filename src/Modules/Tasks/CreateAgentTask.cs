using Catalyst.Contracts;
using Catalyst.Tasks.Domain;
using Catalyst.Tasks.Queue;
using Marten;
using Wolverine;

namespace Catalyst.Tasks;

public static class CreateAgentTaskHandler
{
    public static async Task<(Result<AgentTaskCreatedResult>, OutgoingMessages)> Handle(
        CreateAgentTask command, IDocumentSession session, IMessageBus bus, TimeProvider clock, CancellationToken ct)
    {
        var outgoing = new OutgoingMessages();
        var errors = command.Validate();
        if (errors.Count > 0) return (Result<AgentTaskCreatedResult>.Fail(errors), outgoing);

        var project = await bus.InvokeAsync<ProjectRef?>(new FindMemberProject(command.UserId, command.ProjectSlug), ct);
        if (project is null) return (Result<AgentTaskCreatedResult>.NotFound($"The project “{command.ProjectSlug}”"), outgoing);
        // A caller that names the task's id may ask again when it cannot tell whether the first ask was done (a GitHub
        // delivery's run that stopped after it): the task that exists is the answer, not a second task.
        if (command.TaskId is { } asked && await session.LoadAsync<AgentTask>(asked, ct) is { } existing)
        {
            return existing.ProjectId == project.Id && existing.CreatedBy == command.UserId
                ? (Result<AgentTaskCreatedResult>.Ok(new(existing.Id, existing.ProjectSlug, existing.Status)), outgoing)
                : (Result<AgentTaskCreatedResult>.Fail(new CommandError(nameof(command.TaskId), "A task with this id exists already; leave the id out to start a new task.")), outgoing);
        }
        if (CreateAgentTaskHandler.RefusesNewTasks(project) is { } archived) return (Result<AgentTaskCreatedResult>.Fail(archived), outgoing);

        var provider = await bus.InvokeAsync<AgentProviderInfo?>(new GetAgentProvider(command.Provider), ct);
        if (provider is null || !provider.Active)
        {
            return (Result<AgentTaskCreatedResult>.Fail(new CommandError(nameof(command.Provider),
                $"There is no active agent provider “{command.Provider}”. Use one of the providers listed under Agent credentials.")), outgoing);
        }

        if (command.PlanFirst && !provider.Launch.CanPlan)
        {
            return (Result<AgentTaskCreatedResult>.Fail(new CommandError(nameof(command.PlanFirst),
                $"{provider.DisplayName} cannot write a plan for approval first. Choose an agent that can (its card lists “plans”), or start without a plan.")), outgoing);
        }

        var credential = command.CredentialId is { } id
            ? await bus.InvokeAsync<CredentialRef?>(new FindUserCredential(command.UserId, id), ct)
            : await bus.InvokeAsync<CredentialRef?>(new FindUserCredentialByLabel(command.UserId, provider.Name, command.CredentialLabel!), ct);
        var credentialError = CheckCredential(credential, provider);
        if (credentialError is not null) return (Result<AgentTaskCreatedResult>.Fail(credentialError), outgoing);

        if (TaskBudgets.Raises(project.TaskBudget, command.Budget) is { } raised) return (Result<AgentTaskCreatedResult>.Fail(raised), outgoing);

        // A task about a pull request or issue gets what GitHub says of it, when the project is connected.
        var context = command.Context ?? TaskContext.Manual;
        if (context is { Kind: "pull_request" or "issue", Number: { } number, Snapshot: null })
            context = context with { Snapshot = (await bus.InvokeAsync<ContextSnapshot?>(new TakeContextSnapshot(project.Id, context.Kind, number), ct))?.Text };
        var taskId = command.TaskId ?? Guid.CreateVersion7();
        // Only a task its owner granted the credential to may have the key revealed to its workspace.
        if (await bus.InvokeAsync<CredentialRef?>(new GrantCredentialToTask(command.UserId, credential!.Id, taskId), ct) is null)
            return (Result<AgentTaskCreatedResult>.Fail(CheckCredential(null, provider)!), outgoing);
        var now = clock.GetUtcNow();
        session.Events.StartStream<AgentTask>(taskId,
            new AgentTaskCreated(taskId, project.Id, project.Slug, command.Type, context, provider.Name,
                provider.DisplayName, credential!.Id, credential.Label, command.Instructions, command.UserId, now, null, project.TimeoutSeconds, command.PlanFirst,
                TaskBudgets.Lower(project.TaskBudget, command.Budget), command.Origin ?? TaskOrigin.Page, command.BaseBranch),
            new AgentTaskQueued(now));
        outgoing.Add(new StartQueuedTasks());
        return (Result<AgentTaskCreatedResult>.Ok(new(taskId, project.Slug, AgentTaskStatus.Pending)), outgoing);
    }

    /// <summary>An archived project is read-only: every way of starting a task (page, MCP, API, GitHub, retry) gets this answer.</summary>
    public static CommandError? RefusesNewTasks(ProjectRef project) => project.Archived
        ? new CommandError("", $"The project “{project.Slug}” is archived and takes no new tasks. Unarchive it on its settings page to start tasks again.", ErrorKind.Conflict)
        : null;

    /// <summary>The caller's own, active credential for this very provider; anyone else's does not exist.</summary>
    public static CommandError? CheckCredential(CredentialRef? credential, AgentProviderInfo provider) => credential switch
    {
        null => new("CredentialId", "That credential was not found among yours. Choose one of your credentials, or add one under Agent credentials."),
        { Active: false } => new("CredentialId", $"The credential “{credential.Label}” was deleted or deactivated; choose another."),
        _ when credential.Provider != provider.Name =>
            new("CredentialId", $"The credential “{credential.Label}” is for {credential.Provider}, not {provider.Name}; choose a {provider.DisplayName} credential."),
        _ => null,
    };
}

/// <summary>A task spends at most its project's per-task budget; it may ask for less, never more.</summary>
public static class TaskBudgets
{
    public static TaskBudget Lower(TaskBudget project, TaskBudget? task) => task is null ? project : new(
        Min(project.Tokens, task.Tokens), Min(project.Usd, task.Usd));

    public static CommandError? Raises(TaskBudget project, TaskBudget? task) => task switch
    {
        { Tokens: { } t } when project.Tokens is { } p && t > p =>
            new("BudgetTokens", $"The project allows at most {p:N0} tokens per task; ask for that or less."),
        { Usd: { } u } when project.Usd is { } p && u > p =>
            new("BudgetUsd", $"The project allows at most ${p:0.00##} per task; ask for that or less."),
        _ => null,
    };

    private static T? Min<T>(T? a, T? b) where T : struct, IComparable<T> =>
        a is null ? b : b is null ? a : a.Value.CompareTo(b.Value) <= 0 ? a : b;
}
