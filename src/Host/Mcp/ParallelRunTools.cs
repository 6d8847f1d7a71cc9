using System.ComponentModel;
using System.Security.Claims;
using Catalyst.Contracts;
using Catalyst.Tasks;
using Catalyst.Tasks.Domain;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using Wolverine;

namespace Catalyst.Host.Mcp;

/// <summary>One run of a parallel request, as an MCP caller names it.</summary>
public sealed record McpRun(
    [property: Description("The agent provider's name, e.g. claude-code (see list_agent_providers).")] string Provider,
    [property: Description("Which of your credentials for that provider: its label or its id.")] string Credential);

[McpServerToolType]
public sealed class ParallelRunTools
{
    [McpServerTool(Name = "create_parallel_agent_task", Title = "Start parallel agent runs", Destructive = false, OpenWorld = true,
        UseStructuredContent = true, OutputSchemaType = typeof(McpCreatedTask))]
    [Description("Starts one request as 2 to 5 runs side by side: different providers, or the same provider several times (list it again). " +
                 "Each run is a task of its own (workspace, branch, log, queue slot). The returned task_id is the request: its status is " +
                 "`running` while any run has not ended, then `awaiting-choice` when at least one run completed (or `failed` when none did). " +
                 "get_agent_task on it lists the runs; pick the one whose branch becomes the result with choose_agent_run.")]
    public static async Task<CallToolResult> CreateParallelAgentTask(
        ClaimsPrincipal user, IMessageBus bus,
        [Description("The project's slug, as list_projects gives it.")] string project,
        [Description(AgentTaskTools.TypeDescription)] string type,
        [Description("What every run's agent should do, in plain language. Up to 100 KB.")] string instructions,
        [Description("The runs, 2 to 5, each {\"provider\": name, \"credential\": label or id}, e.g. [{\"provider\":\"claude-code\",\"credential\":\"work\"}," +
                     "{\"provider\":\"codex-cli\",\"credential\":\"work\"}]. Repeat an entry to run the same agent more than once.")] McpRun[] runs,
        [Description("Where the work comes from: manual (default), pull-request or issue.")] string context = "manual",
        [Description("The pull request or issue number, required when context is pull-request or issue.")] int? context_number = null,
        [Description("Extra material given to every run's agent with the instructions. Optional, up to 64 KB.")] string? context_details = null,
        CancellationToken ct = default)
    {
        var requests = (runs ?? []).Select(r => Guid.TryParse(r?.Credential, out var id)
            ? new ParallelRunRequest(r!.Provider ?? "", id)
            : new ParallelRunRequest(r?.Provider ?? "", null, r?.Credential)).ToList();
        var command = new CreateParallelAgentTask(user.UserId(), project, type, instructions, requests, new TaskContext(McpSpellings.ContextToDomain(context), context_number, context_details));
        return McpAnswer.From(await bus.InvokeAsync<Result<AgentTaskCreatedResult>>(command, ct), McpCreatedTask.From);
    }

    [McpServerTool(Name = "choose_agent_run", Title = "Choose the run of a parallel request", Destructive = true, Idempotent = false, OpenWorld = false,
        UseStructuredContent = true, OutputSchemaType = typeof(AgentTaskView))]
    [Description("Picks the run whose branch, commits and summary become the result of a request made with create_parallel_agent_task; the request " +
                 "ends `completed`. Only a completed run can be chosen, only once; it can be chosen as soon as it completed, and then the runs " +
                 "still going are cancelled. Destructive: the runs still going are stopped and cannot be chosen afterwards.")]
    public static async Task<CallToolResult> ChooseAgentRun(
        ClaimsPrincipal user, IMessageBus bus,
        [Description("The request's id (the task_id create_parallel_agent_task returned).")] string task_id,
        [Description("The chosen run's id, one of the request's run_ids.")] string run_id,
        CancellationToken ct = default)
    {
        if (!Guid.TryParse(task_id, out var taskId)) return McpAnswer.NotFound("The task");
        if (!Guid.TryParse(run_id, out var runId)) return McpAnswer.Error("That run is not one of this request's runs.");
        return McpAnswer.From(await bus.InvokeAsync<Result<AgentTaskView>>(new Catalyst.Tasks.ChooseAgentRun(user.UserId(), taskId, runId), ct));
    }
}
