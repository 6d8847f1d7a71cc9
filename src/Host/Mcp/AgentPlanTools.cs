using System.ComponentModel;
using System.Security.Claims;
using Catalyst.Contracts;
using Catalyst.Tasks;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using Wolverine;

namespace Catalyst.Host.Mcp;

/// <summary>Deciding on the plan of a task created with plan_first.</summary>
[McpServerToolType]
public sealed class AgentPlanTools
{
    private const string TaskIdDescription = "The task's id (a UUID). Its status must be `awaiting-approval`; get_agent_task shows the plan and plan_expires_at, after which " +
        "the task ends `cancelled` by itself.";

    [McpServerTool(Name = "approve_agent_plan", Title = "Approve an agent's plan", Destructive = false, OpenWorld = true,
        UseStructuredContent = true, OutputSchemaType = typeof(AgentTaskView))]
    [Description("Lets the agent carry out the plan it wrote: the task queues again (status `pending`) and continues in the same workspace and " +
                 "the same agent session, then ends like any task with its commits on its branch.")]
    public static async Task<CallToolResult> ApproveAgentPlan(
        ClaimsPrincipal user, IMessageBus bus,
        [Description(TaskIdDescription)] string task_id,
        [Description("Notes passed to the agent with the approval, e.g. a constraint to keep. Optional, up to 10,000 characters.")] string? notes = null,
        CancellationToken ct = default)
    {
        if (!Guid.TryParse(task_id, out var taskId)) return McpAnswer.NotFound("The task");
        return McpAnswer.From(await bus.InvokeAsync<Result<AgentTaskView>>(new ApproveAgentPlan(user.UserId(), taskId, notes), ct));
    }

    [McpServerTool(Name = "reject_agent_plan", Title = "Reject an agent's plan", Destructive = true, OpenWorld = false,
        UseStructuredContent = true, OutputSchemaType = typeof(AgentTaskView))]
    [Description("Rejects the plan: the task ends `cancelled` with nothing changed, and its workspace is released. Retry the task to plan again. " +
                 "Destructive: the plan and the agent's session are discarded.")]
    public static async Task<CallToolResult> RejectAgentPlan(
        ClaimsPrincipal user, IMessageBus bus,
        [Description(TaskIdDescription)] string task_id,
        [Description("Why the plan was rejected, kept on the task. Optional, up to 10,000 characters.")] string? reason = null,
        CancellationToken ct = default)
    {
        if (!Guid.TryParse(task_id, out var taskId)) return McpAnswer.NotFound("The task");
        return McpAnswer.From(await bus.InvokeAsync<Result<AgentTaskView>>(new RejectAgentPlan(user.UserId(), taskId, reason), ct));
    }
}
