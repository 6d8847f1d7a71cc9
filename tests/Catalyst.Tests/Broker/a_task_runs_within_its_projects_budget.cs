using Catalyst.Contracts;
using Catalyst.Providers.Catalogue;
using Catalyst.Tasks;
using Catalyst.Tasks.Domain;
using Catalyst.Tasks.Queue;
using Catalyst.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Wolverine;

namespace Catalyst.Tests.Broker;

/// <summary>A project sets a per-task budget; a task may ask for less, never more; the workspace gets the task's budget to pass to the broker.</summary>
public sealed class a_task_runs_within_its_projects_budget(AppFixture fixture) : IntegrationContext(fixture)
{
    private static readonly Guid User = Guid.NewGuid();
    private static readonly ProjectRef Project = new(Guid.NewGuid(), "shop", "Shop", "/srv/git/shop.git", "main", null, 600, 2, [User])
    {
        TaskBudget = new TaskBudget(100_000, 5m),
    };
    private static readonly CredentialRef Credential = new(Guid.NewGuid(), User, "claude-code", "work", "sk-ant…abcd", true, null, null);

    private static TestMessageContext Bus()
    {
        var bus = new TestMessageContext();
        bus.WhenInvokedMessageOf<FindMemberProject>().RespondWith(Project);
        bus.WhenInvokedMessageOf<FindProjectById>().RespondWith(Project);
        bus.WhenInvokedMessageOf<GetAgentProvider>().RespondWith(AgentProvider.From(BuiltInAgentProviders.ClaudeCode, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow).ToInfo());
        bus.WhenInvokedMessageOf<FindUserCredential>().RespondWith(Credential);
        bus.WhenInvokedMessageOf<GrantCredentialToTask>().RespondWith(Credential);
        return bus;
    }

    private async Task<Result<AgentTaskCreatedResult>> Create(TaskBudget? budget)
    {
        await using var session = Store.LightweightSession();
        var (result, _) = await CreateAgentTaskHandler.Handle(
            new CreateAgentTask(User, "shop", "feature-dev", "Add a README.", "claude-code", Credential.Id, Budget: budget), session, Bus(), TimeProvider.System, CancellationToken.None);
        await session.SaveChangesAsync();
        return result;
    }

    [Fact]
    public async Task a_task_lowers_its_projects_budget_and_its_workspace_carries_it()
    {
        var created = await Create(new TaskBudget(50_000, null));
        created.Succeeded.ShouldBeTrue(created.ErrorText);
        await using var session = Store.LightweightSession();
        var task = (await session.LoadAsync<AgentTask>(created.Value!.TaskId))!;
        task.Budget.ShouldBe(new TaskBudget(50_000, 5m));

        var bus = Bus();
        var outgoing = await StartQueuedTasksHandler.Handle(new StartQueuedTasks(), session, Store, bus, Host.Services.GetRequiredService<TaskLimits>(),
            Host.Services.GetRequiredService<Catalyst.Tasks.Logs.TaskLogWriter>(), Host.Services.GetRequiredService<Catalyst.Tasks.OutputFormats>(),
            Host.Services.GetRequiredService<Catalyst.Tasks.Nodes.CatalystNode>(), TimeProvider.System,
            Host.Services.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>(), CancellationToken.None);
        outgoing.OfType<ProvisionWorkspace>().Single().Spec.Budget.ShouldBe(new TaskBudget(50_000, 5m));
    }

    [Fact]
    public async Task a_task_cannot_ask_for_more_than_its_project_allows()
    {
        var refused = await Create(new TaskBudget(200_000, null));
        refused.Succeeded.ShouldBeFalse();
        refused.Errors.ShouldHaveSingleItem().Field.ShouldBe("BudgetTokens");
        (await Create(new TaskBudget(null, 0m))).Errors.ShouldHaveSingleItem().Field.ShouldBe("BudgetUsd");
    }

    [Fact]
    public void without_a_project_budget_the_tasks_own_applies()
    {
        TaskBudgets.Lower(TaskBudget.None, new TaskBudget(10, null)).ShouldBe(new TaskBudget(10, null));
        TaskBudgets.Lower(new TaskBudget(null, 2m), null).ShouldBe(new TaskBudget(null, 2m));
        TaskBudgets.Raises(TaskBudget.None, new TaskBudget(10, 1m)).ShouldBeNull();
    }
}
