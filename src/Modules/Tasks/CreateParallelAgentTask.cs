using Catalyst.Contracts;
using Catalyst.Tasks.Domain;
using Catalyst.Tasks.Queue;
using Marten;
using Wolverine;

namespace Catalyst.Tasks;

/// <summary>One run of a parallel request: an agent provider and one of the caller's credentials for it (by id, or by label).</summary>
public sealed record ParallelRunRequest(string Provider, Guid? CredentialId, string? CredentialLabel = null);

/// <summary>
/// One request fanned out into 2–5 runs (different agents, or the same agent several times). Each run is a whole task of its own
/// (workspace, branch, log, queue slot); the request itself runs nothing and waits for its owner to pick the run that is its result.
/// </summary>
public sealed record CreateParallelAgentTask(
    Guid UserId,
    string ProjectSlug,
    string Type,
    string Instructions,
    IReadOnlyList<ParallelRunRequest> Runs,
    TaskContext? Context = null)
{
    /// <summary>The request's own fields once, then each run's provider and credential, named by the run.</summary>
    public IReadOnlyList<CommandError> Validate()
    {
        var runs = Runs ?? [];
        var errors = AsSingleTask(runs.Count > 0 ? runs[0] : new ParallelRunRequest("", null)).Validate().Where(e => !IsRunField(e.Field)).ToList();
        if (runs.Count is < AgentTask.MinRuns or > AgentTask.MaxRuns)
        {
            errors.Add(new(nameof(Runs), $"Ask for {AgentTask.MinRuns} to {AgentTask.MaxRuns} runs; this asks for {runs.Count}." +
                (runs.Count == 1 ? " A single run is a plain task: start it without runs." : "")));
            return errors;
        }
        for (var i = 0; i < runs.Count; i++)
            errors.AddRange(AsSingleTask(runs[i]).Validate().Where(e => IsRunField(e.Field)).Select(e => ForRun(i, e)));
        return errors;
    }

    /// <summary>A run checked by the very rules of a single task.</summary>
    public CreateAgentTask AsSingleTask(ParallelRunRequest run) =>
        new(UserId, ProjectSlug, Type, Instructions, run.Provider, run.CredentialId, run.CredentialLabel, Context);

    private static bool IsRunField(string field) => field is nameof(CreateAgentTask.Provider) or nameof(CreateAgentTask.CredentialId);

    /// <summary>A run's mistake, named by the run ("Run 2: …") and by its field (Runs[1].CredentialId).</summary>
    public static CommandError ForRun(int index, CommandError error) =>
        error with { Field = $"{nameof(Runs)}[{index}].{error.Field}", Message = $"Run {index + 1}: {error.Message}" };
}

public static class CreateParallelAgentTaskHandler
{
    public static async Task<(Result<AgentTaskCreatedResult>, OutgoingMessages)> Handle(
        CreateParallelAgentTask command, IDocumentSession session, IMessageBus bus, TimeProvider clock, CancellationToken ct)
    {
        var outgoing = new OutgoingMessages();
        var errors = command.Validate();
        if (errors.Count > 0) return (Result<AgentTaskCreatedResult>.Fail(errors), outgoing);

        var project = await bus.InvokeAsync<ProjectRef?>(new FindMemberProject(command.UserId, command.ProjectSlug), ct);
        if (project is null) return (Result<AgentTaskCreatedResult>.NotFound($"The project “{command.ProjectSlug}”"), outgoing);
        if (CreateAgentTaskHandler.RefusesNewTasks(project) is { } archived) return (Result<AgentTaskCreatedResult>.Fail(archived), outgoing);

        // Every run passes the checks of a single task before anything is created.
        var runs = new List<(AgentProviderInfo Provider, CredentialRef Credential)>();
        var runErrors = new List<CommandError>();
        for (var i = 0; i < command.Runs.Count; i++)
        {
            var run = command.Runs[i];
            var provider = await bus.InvokeAsync<AgentProviderInfo?>(new GetAgentProvider(run.Provider), ct);
            if (provider is null || !provider.Active)
            {
                runErrors.Add(CreateParallelAgentTask.ForRun(i, new CommandError(nameof(run.Provider),
                    $"There is no active agent provider “{run.Provider}”. Use one of the providers listed under Agent credentials.")));
                continue;
            }
            var credential = run.CredentialId is { } id
                ? await bus.InvokeAsync<CredentialRef?>(new FindUserCredential(command.UserId, id), ct)
                : await bus.InvokeAsync<CredentialRef?>(new FindUserCredentialByLabel(command.UserId, provider.Name, run.CredentialLabel!), ct);
            if (CreateAgentTaskHandler.CheckCredential(credential, provider) is { } credentialError)
                runErrors.Add(CreateParallelAgentTask.ForRun(i, credentialError));
            else runs.Add((provider, credential!));
        }
        if (runErrors.Count > 0) return (Result<AgentTaskCreatedResult>.Fail(runErrors), outgoing);

        var parentId = Guid.CreateVersion7();
        var runIds = runs.Select(_ => Guid.CreateVersion7()).ToList();
        for (var i = 0; i < runs.Count; i++)
        {
            // Each run's workspace may reveal the key only because its owner granted it to that run.
            if (await bus.InvokeAsync<CredentialRef?>(new GrantCredentialToTask(command.UserId, runs[i].Credential.Id, runIds[i]), ct) is null)
                return (Result<AgentTaskCreatedResult>.Fail(CreateParallelAgentTask.ForRun(i, CreateAgentTaskHandler.CheckCredential(null, runs[i].Provider)!)), outgoing);
        }

        var now = clock.GetUtcNow();
        var context = command.Context ?? TaskContext.Manual;
        session.Events.StartStream<AgentTask>(parentId,
            new AgentTaskCreated(parentId, project.Id, project.Slug, command.Type, context, AgentTask.ParallelProvider, Describe(runs.Select(r => r.Provider.DisplayName).ToList()),
                Guid.Empty, string.Join(", ", runs.Select(r => r.Credential.Label).Distinct()), command.Instructions, command.UserId, now, null, project.TimeoutSeconds),
            new ParallelRunsStarted(runIds, now));
        for (var i = 0; i < runs.Count; i++)
        {
            var (provider, credential) = runs[i];
            session.Events.StartStream<AgentTask>(runIds[i],
                new AgentTaskCreated(runIds[i], project.Id, project.Slug, command.Type, context, provider.Name, provider.DisplayName, credential.Id,
                    credential.Label, command.Instructions, command.UserId, now, null, project.TimeoutSeconds),
                new RunOfParallelTask(parentId, i + 1, runs.Count, now),
                new AgentTaskQueued(now));
        }
        outgoing.Add(new StartQueuedTasks());
        return (Result<AgentTaskCreatedResult>.Ok(new(parentId, project.Slug, AgentTaskStatus.Running)), outgoing);
    }

    /// <summary>What the request runs, in words: "3 runs: Claude Code ×2, Codex CLI".</summary>
    public static string Describe(IReadOnlyList<string> providerDisplayNames) =>
        $"{providerDisplayNames.Count} runs: " + string.Join(", ", providerDisplayNames
            .GroupBy(n => n).Select(g => g.Count() == 1 ? g.Key : $"{g.Key} ×{g.Count()}"));
}
