using System.Text;
using Catalyst.Contracts;
using Catalyst.Tasks.Domain;
using Catalyst.Tasks.Queue;
using Marten;
using Wolverine;

namespace Catalyst.Tasks;

/// <summary>A person (page), another agent (MCP) or GitHub (webhook) asks for an agent run.</summary>
public sealed record CreateAgentTask(
    Guid UserId,
    string ProjectSlug,
    string Type,
    string Instructions,
    string Provider,
    Guid? CredentialId,
    string? CredentialLabel = null,
    TaskContext? Context = null,
    bool PlanFirst = false,
    TaskBudget? Budget = null)
{
    public const int MaxInstructionsBytes = 100 * 1024;
    /// <summary>The context given with the instructions: the agent gets both on its command line, which has a limit.</summary>
    public const int MaxContextDetailsBytes = 64 * 1024;
    public const int MaxNameLength = 100;

    /// <summary>What can be checked without asking anyone: the shape of the request.</summary>
    public IReadOnlyList<CommandError> Validate()
    {
        var errors = new List<CommandError>();
        // Characters no field takes (PostgreSQL refuses NUL), before any other rule reads the text.
        foreach (var error in new[]
                 {
                     TextInput.Check(nameof(ProjectSlug), "The project", ProjectSlug, MaxNameLength),
                     TextInput.Check(nameof(Instructions), "The instructions", Instructions, int.MaxValue, multiLine: true),
                     TextInput.Check(nameof(Provider), "The agent provider", Provider, MaxNameLength),
                     TextInput.Check("CredentialId", "The credential", CredentialLabel, MaxNameLength),
                     TextInput.Check("ContextDetails", "The context details", Context?.Snapshot, int.MaxValue, multiLine: true),
                 }.OfType<CommandError>())
            errors.Add(error);
        if (errors.Count > 0) return errors;
        if (Context?.Snapshot is { } details && Encoding.UTF8.GetByteCount(details) > MaxContextDetailsBytes)
            errors.Add(new("ContextDetails", $"The context details are {Encoding.UTF8.GetByteCount(details) / 1024} KB; keep them to 64 KB (quote the parts the agent needs)."));
        if (string.IsNullOrWhiteSpace(ProjectSlug)) errors.Add(new(nameof(ProjectSlug), "Name the project (its slug)."));
        if (!AgentTaskTypes.All.Contains(Type ?? ""))
            errors.Add(new(nameof(Type), $"Choose a task type: {string.Join(", ", AgentTaskTypes.All)}."));
        if (string.IsNullOrWhiteSpace(Instructions))
            errors.Add(new(nameof(Instructions), "Write the instructions: what should the agent do?"));
        else if (Encoding.UTF8.GetByteCount(Instructions) > MaxInstructionsBytes)
            errors.Add(new(nameof(Instructions), $"The instructions are {Encoding.UTF8.GetByteCount(Instructions) / 1024} KB; keep them under 100 KB."));
        if (string.IsNullOrWhiteSpace(Provider)) errors.Add(new(nameof(Provider), "Choose an agent provider."));
        if (CredentialId is null && string.IsNullOrWhiteSpace(CredentialLabel))
            errors.Add(new("CredentialId", "Choose one of your credentials for this provider (add one under Agent credentials)."));
        if (Context is { Kind: not ("manual" or "pull_request" or "issue") })
            errors.Add(new(nameof(Context), "The context is manual, pull_request or issue."));
        else if (Context is { Kind: "pull_request" or "issue", Number: null or < 1 })
            errors.Add(new(nameof(Context), "A pull request or issue context needs its number."));
        if (Budget?.Tokens is <= 0) errors.Add(new("BudgetTokens", "Enter a number of tokens above zero, or leave it empty for the project's budget."));
        if (Budget?.Usd is <= 0) errors.Add(new("BudgetUsd", "Enter an amount in US dollars above zero, or leave it empty for the project's budget."));
        return errors;
    }
}

public sealed record AgentTaskCreatedResult(Guid TaskId, string ProjectSlug, AgentTaskStatus Status);

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

        var taskId = Guid.CreateVersion7();
        // Only a task its owner granted the credential to may have the key revealed to its workspace.
        if (await bus.InvokeAsync<CredentialRef?>(new GrantCredentialToTask(command.UserId, credential!.Id, taskId), ct) is null)
            return (Result<AgentTaskCreatedResult>.Fail(CheckCredential(null, provider)!), outgoing);
        var now = clock.GetUtcNow();
        session.Events.StartStream<AgentTask>(taskId,
            new AgentTaskCreated(taskId, project.Id, project.Slug, command.Type, command.Context ?? TaskContext.Manual, provider.Name,
                provider.DisplayName, credential!.Id, credential.Label, command.Instructions, command.UserId, now, null, project.TimeoutSeconds, command.PlanFirst,
                TaskBudgets.Lower(project.TaskBudget, command.Budget)),
            new AgentTaskQueued(now));
        outgoing.Add(new StartQueuedTasks());
        return (Result<AgentTaskCreatedResult>.Ok(new(taskId, project.Slug, AgentTaskStatus.Pending)), outgoing);
    }

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
