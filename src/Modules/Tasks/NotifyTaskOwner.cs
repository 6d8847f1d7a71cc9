using Catalyst.Contracts;
using Catalyst.Tasks.Domain;
using Catalyst.Tasks.Pages.Agents;
using Marten;

namespace Catalyst.Tasks;

/// <summary>A task ended, or its plan waits for approval: tell the person who started it (not for each run of a parallel request).</summary>
public sealed record NotifyTaskOwner(Guid TaskId, AgentTaskStatus Status);

public static class NotifyTaskOwnerHandler
{
    public static async Task<object[]> Handle(NotifyTaskOwner message, IQuerySession session, TimeProvider clock, CancellationToken ct)
    {
        var task = await session.LoadAsync<AgentTask>(message.TaskId, ct);
        if (task is null || task.ParentId is not null) return [];
        var (label, _) = AgentTask.Display(task.Status, task.Commits.Count, task.IsParallel);
        var what = task.Status == AgentTaskStatus.AwaitingApproval ? "plan_waiting" : "task_finished";
        return
        [
            new AgentTaskNotification(task.Id, task.CreatedBy, task.ProjectSlug, AgentTasksIndexModel.Headline(task.Instructions), what,
                task.Status.Name(), label, task.Error, task.Commits.Count, task.BranchPushed ? task.WorkBranch : null,
                $"/projects/{task.ProjectSlug}/agents/{task.Id}", clock.GetUtcNow()),
        ];
    }
}
