using Catalyst.Contracts;
using Catalyst.Tasks.Domain;
using Catalyst.Tasks.Logs;
using Catalyst.Tasks.Nodes;
using Catalyst.Tasks.Queue;
using Marten;
using Wolverine;

namespace Catalyst.Tasks;

/// <summary>Stop a task that is waiting or running. A waiting task ends at once; a running one when its agent has stopped.</summary>
public sealed record CancelAgentTask(Guid UserId, Guid TaskId);

public static class CancelAgentTaskHandler
{
    public static async Task<(Result<AgentTaskView>, OutgoingMessages)> Handle(CancelAgentTask command, IDocumentSession session, IMessageBus bus,
        TaskLogWriter logs, CatalystNode node, TimeProvider clock, CancellationToken ct)
    {
        var outgoing = new OutgoingMessages();
        // The all-zero id is no task's (and Marten refuses it as a stream id).
        if (command.TaskId == Guid.Empty) return (Result<AgentTaskView>.NotFound("The task"), outgoing);
        var stream = await session.Events.FetchForWriting<AgentTask>(command.TaskId, ct);
        var task = stream.Aggregate;
        if (task is null || !await TaskAccess.CanSee(bus, command.UserId, task, ct)) return (Result<AgentTaskView>.NotFound("The task"), outgoing);
        if (task.RefusesActions() is { } readOnly) return (Result<AgentTaskView>.Fail(readOnly), outgoing);
        if (task.Status.IsFinished())
            return (Result<AgentTaskView>.Fail(new CommandError("", $"The task already ended {task.Status.Name()}; there is nothing to cancel.", ErrorKind.Conflict)), outgoing);
        if (task.IsParallel) return await CancelParallelAgentTask.Handle(command, task, stream, session, bus, logs, node, clock, ct);

        var now = clock.GetUtcNow();
        if (task.Status == AgentTaskStatus.Pending)
        {
            await logs.SystemAsync(task.Id, "Cancelled before it started.", TaskLogLevel.Warn, ct);
            var ended = new AgentTaskFinished(AgentTaskStatus.Cancelled, "Cancelled before it started.", "No commits", null, now);
            stream.AppendOne(ended);
            outgoing.Add(new AgentTaskStatusChanged(task.Id, AgentTaskStatus.Cancelled));
            return (Result<AgentTaskView>.Ok(AgentTaskView.From(task.Apply(ended))), outgoing);
        }

        if (task.Status == AgentTaskStatus.AwaitingApproval)
        {
            await logs.SystemAsync(task.Id, "Cancelled while its plan waited for approval; the workspace is released.", TaskLogLevel.Warn, ct);
            var ended = new AgentTaskFinished(AgentTaskStatus.Cancelled, "Cancelled while its plan waited for approval.", "No commits", null, now);
            stream.AppendOne(ended);
            outgoing.ToWorkspaceOf(task, new ReleaseWorkspace(task.Id), node, session);
            outgoing.Add(new AgentTaskStatusChanged(task.Id, AgentTaskStatus.Cancelled));
            return (Result<AgentTaskView>.Ok(AgentTaskView.From(task.Apply(ended))), outgoing);
        }

        if (!task.CancelRequested)
        {
            var requested = new CancellationRequested(command.UserId, now);
            stream.AppendOne(requested);
            await logs.SystemAsync(task.Id, "Cancel requested: stopping the agent.", TaskLogLevel.Warn, ct);
            outgoing.ToWorkspaceOf(task, new StopWorkspace(task.Id, "Cancelled by a user."), node, session);
            task = task.Apply(requested);
        }
        return (Result<AgentTaskView>.Ok(AgentTaskView.From(task)), outgoing);
    }
}

/// <summary>
/// Run a failed, cancelled or timed-out task again. A retry is a new task linked to the old one: its own workspace,
/// branch, log and stream, while the old task keeps the history of what happened.
/// </summary>
public sealed record RetryAgentTask(Guid UserId, Guid TaskId);

public static class RetryAgentTaskHandler
{
    public static async Task<(Result<AgentTaskCreatedResult>, OutgoingMessages)> Handle(RetryAgentTask command, IDocumentSession session,
        IMessageBus bus, TaskLogWriter logs, TimeProvider clock, CancellationToken ct)
    {
        var outgoing = new OutgoingMessages();
        if (command.TaskId == Guid.Empty) return (Result<AgentTaskCreatedResult>.NotFound("The task"), outgoing);
        var stream = await session.Events.FetchForWriting<AgentTask>(command.TaskId, ct);
        var task = stream.Aggregate;
        if (task is null || !await TaskAccess.CanSee(bus, command.UserId, task, ct)) return (Result<AgentTaskCreatedResult>.NotFound("The task"), outgoing);
        if (task.RefusesActions() is { } readOnly) return (Result<AgentTaskCreatedResult>.Fail(readOnly), outgoing);
        if (task.Status is not (AgentTaskStatus.Failed or AgentTaskStatus.Cancelled or AgentTaskStatus.TimedOut))
            return (Result<AgentTaskCreatedResult>.Fail(new CommandError("", $"Only a failed, cancelled or timed-out task can be retried; this one is {task.Status.Name()}.", ErrorKind.Conflict)), outgoing);
        if (task.IsParallel || task.ParentId is not null)
            return (Result<AgentTaskCreatedResult>.Fail(new CommandError("", task.IsParallel
                ? "A request for parallel runs is not retried; start a new request with the runs you want."
                : "A run of a parallel request is not retried on its own; start a new request with the runs you want.", ErrorKind.Conflict)), outgoing);
        if (task.RetriedAs is { } existing)
            return (Result<AgentTaskCreatedResult>.Fail(new CommandError("", $"This task was already retried as {existing}.", ErrorKind.Conflict)), outgoing);

        var project = await bus.InvokeAsync<ProjectRef?>(new FindProjectById(task.ProjectId), ct);
        if (project is null) return (Result<AgentTaskCreatedResult>.NotFound("The project"), outgoing);
        if (CreateAgentTaskHandler.RefusesNewTasks(project) is { } archived) return (Result<AgentTaskCreatedResult>.Fail(archived), outgoing);
        // The credential must still be the caller's own and usable.
        var credential = await bus.InvokeAsync<CredentialRef?>(new FindUserCredential(command.UserId, task.CredentialId), ct);
        var provider = await bus.InvokeAsync<AgentProviderInfo?>(new GetAgentProvider(task.Provider), ct);
        if (provider is null)
            return (Result<AgentTaskCreatedResult>.Fail(new CommandError("Provider", $"The agent provider “{task.Provider}” is no longer available.")), outgoing);
        var credentialError = CreateAgentTaskHandler.CheckCredential(credential, provider);
        if (credentialError is not null) return (Result<AgentTaskCreatedResult>.Fail(credentialError), outgoing);

        var now = clock.GetUtcNow();
        var retryId = Guid.CreateVersion7();
        if (await bus.InvokeAsync<CredentialRef?>(new GrantCredentialToTask(command.UserId, credential!.Id, retryId), ct) is null)
            return (Result<AgentTaskCreatedResult>.Fail(CreateAgentTaskHandler.CheckCredential(null, provider)!), outgoing);
        session.Events.StartStream<AgentTask>(retryId,
            new AgentTaskCreated(retryId, task.ProjectId, task.ProjectSlug, task.Type, task.Context, task.Provider, task.ProviderDisplayName,
                task.CredentialId, credential!.Label, task.Instructions, command.UserId, now, task.Id, project.TimeoutSeconds, task.PlanFirst,
                TaskBudgets.Lower(project.TaskBudget, task.Budget), BaseBranch: task.BaseBranch),
            new AgentTaskQueued(now));
        stream.AppendOne(new AgentTaskRetried(retryId, command.UserId, now));
        await logs.SystemAsync(task.Id, $"Retried as task {retryId}.", TaskLogLevel.Info, ct);
        outgoing.Add(new StartQueuedTasks());
        return (Result<AgentTaskCreatedResult>.Ok(new(retryId, task.ProjectSlug, AgentTaskStatus.Pending)), outgoing);
    }
}

public static class TaskAccess
{
    /// <summary>
    /// Members of the task's project see it; once the project is deleted with its history kept, only the person who started
    /// the task does. For anyone else it does not exist.
    /// </summary>
    public static async Task<bool> CanSee(IMessageBus bus, Guid userId, AgentTask task, CancellationToken ct)
    {
        if (task.OfDeletedProject) return task.CreatedBy == userId;
        var project = await bus.InvokeAsync<ProjectRef?>(new FindMemberProject(userId, task.ProjectSlug), ct);
        return project is not null && project.Id == task.ProjectId;
    }
}
