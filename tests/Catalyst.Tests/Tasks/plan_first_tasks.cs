using System.Net;
using Catalyst.Operator;
using Catalyst.Tasks;
using Catalyst.Tasks.Domain;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Workspaces;
using Microsoft.Extensions.DependencyInjection;

namespace Catalyst.Tests.Tasks;

/// <summary>
/// A task that plans first: the agent writes a plan and changes nothing, the task waits in "awaiting approval" without
/// holding a slot, and an approval carries the plan out in the same workspace; a rejection or the wait limit ends it.
/// </summary>
public sealed class plan_first_tasks(AppFixture fixture) : IntegrationContext(fixture), IDisposable
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();

    public void Dispose() => _sandbox.Dispose();

    /// <summary>Plans with "plan" as its argument, carries out with "execute" and the approval message.</summary>
    private const string PlanningAgent = """
        if [ "$1" = plan ]; then
          echo "session-$$-$RANDOM" > "$HOME/session"
          echo "1. Write NOTES.md"
          echo "2. Commit it"
          exit 0
        fi
        echo "resuming $(cat "$HOME/session")"
        printf '%s\n' "$2" | sed 's/^/told: /'
        echo "notes" > NOTES.md
        git add NOTES.md
        git commit -qm "Add notes"
        """;

    private string WorkspaceOf(Guid taskId) =>
        Path.Combine(Host.Services.GetRequiredService<LocalWorkspaceOptions>().WorkspacesDirectory, taskId.ToString());

    private async Task<(PageClient Client, Guid Credential)> ProjectWithCredential(string slug, int maxConcurrent = 2)
    {
        var client = await SignedUp($"{slug}@example.com");
        await client.CreateProjectAsync(slug, _sandbox.Origin, maxConcurrent: maxConcurrent);
        return (client, await client.AddScriptCredentialAsync(Store));
    }

    private static async Task<HttpResponseMessage> PostTask(PageClient client, string slug, Guid credential, string script, bool planFirst = true,
        string provider = ScriptAgent.Name) =>
        await client.PostFormAsync($"/projects/{slug}/agents/new", new()
        {
            ["Type"] = "feature-dev", ["Provider"] = provider, ["CredentialId"] = credential.ToString(), ["Instructions"] = script,
            ["PlanFirst"] = planFirst ? "true" : "false",
        });

    private static async Task<Guid> StartPlanFirst(PageClient client, string slug, Guid credential, string script = PlanningAgent)
    {
        var response = await PostTask(client, slug, credential, script);
        response.StatusCode.ShouldBe(HttpStatusCode.Redirect, await response.Content.ReadAsStringAsync());
        return Guid.Parse(response.Headers.Location!.ToString().Split('/').Last());
    }

    private Task<AgentTask> AwaitingApproval(Guid taskId) =>
        Store.WaitForAsync(taskId, t => t.Status == AgentTaskStatus.AwaitingApproval || t.Status.IsFinished());

    [Fact]
    public async Task the_plan_is_shown_for_approval_and_approving_carries_it_out_in_the_same_workspace()
    {
        var (client, credential) = await ProjectWithCredential("planned");
        var taskId = await StartPlanFirst(client, "planned", credential);

        var waiting = await AwaitingApproval(taskId);
        waiting.Status.ShouldBe(AgentTaskStatus.AwaitingApproval, waiting.Error);
        waiting.Plan.ShouldBe("1. Write NOTES.md\n2. Commit it");
        waiting.Commits.ShouldBeEmpty();
        _sandbox.OriginBranch(waiting.WorkBranch).ShouldBeNull();
        Directory.Exists(Path.Combine(WorkspaceOf(taskId), "repo", ".git")).ShouldBeTrue("the plan's workspace is kept for the approval");
        var session = File.ReadAllText(Path.Combine(WorkspaceOf(taskId), "home", "session")).Trim();

        var page = await client.GetHtmlAsync($"/projects/planned/agents/{taskId}");
        page.ShouldContain("badge awaiting approval");
        WebUtility.HtmlDecode(page).ShouldContain("<pre class=\"plan\">1. Write NOTES.md\n2. Commit it</pre>");
        page.ShouldContain("?handler=Approve");
        page.ShouldContain("?handler=Reject");
        page.ShouldContain("Plan proposed");

        // Another person cannot decide on it: for them the task does not exist.
        var stranger = await SignedUp("stranger@example.com");
        (await stranger.PostFormAsync($"/projects/planned/agents/{taskId}?handler=Approve", new(), formPage: "/projects/new")).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        var approve = await client.PostFormAsync($"/projects/planned/agents/{taskId}?handler=Approve", new() { ["Notes"] = "Keep it short." });
        approve.StatusCode.ShouldBe(HttpStatusCode.Redirect, await approve.Content.ReadAsStringAsync());

        var task = await Store.WaitUntilFinishedAsync(taskId);
        task.Status.ShouldBe(AgentTaskStatus.Completed, task.Error);
        task.Commits.ShouldHaveSingleItem().Message.ShouldBe("Add notes");
        _sandbox.OriginBranch(task.WorkBranch).ShouldBe(task.Commits[0].Sha);

        var logs = await Host.Services.LogsAsync(taskId);
        logs.Select(l => l.Sequence).ShouldBe(Enumerable.Range(1, logs.Count).Select(i => (long)i));
        logs.ShouldContain(l => l.Message == $"resuming {session}");
        logs.ShouldContain(l => l.Message == "told: The plan is approved. Carry it out now: make the changes and commit them with clear messages.");
        logs.ShouldContain(l => l.Message == "told: Keep it short.");
        logs.ShouldContain(l => l.Message.StartsWith("continuing in the plan's workspace", StringComparison.Ordinal));
        Directory.Exists(WorkspaceOf(taskId)).ShouldBeFalse();

        var details = await Invoke<AgentTaskDetails?>(new GetAgentTask(await UserId("planned@example.com"), taskId));
        details!.Timeline.Select(e => e.Title).ShouldBe(["Created", "Queued", "Provisioning", "Workspace provisioned", "Agent started", "Plan proposed",
            "Plan approved", "Queued", "Provisioning", "Workspace provisioned", "Agent started", "Commits captured", "Finished: completed"], ignoreOrder: false);

        // Decided once: a second approval is refused with the reason.
        var again = await client.PostFormAsync($"/projects/planned/agents/{taskId}?handler=Approve", new());
        again.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await again.Content.ReadAsStringAsync()).ShouldContain("Its plan is not waiting for approval: the task is completed.");
    }

    [Fact]
    public async Task rejecting_the_plan_cancels_the_task_and_releases_its_workspace()
    {
        var (client, credential) = await ProjectWithCredential("rejected");
        var taskId = await StartPlanFirst(client, "rejected", credential);
        (await AwaitingApproval(taskId)).Status.ShouldBe(AgentTaskStatus.AwaitingApproval);
        Directory.Exists(WorkspaceOf(taskId)).ShouldBeTrue();

        var reject = await client.PostFormAsync($"/projects/rejected/agents/{taskId}?handler=Reject", new() { ["Notes"] = "Fix the parser instead." });
        reject.StatusCode.ShouldBe(HttpStatusCode.Redirect, await reject.Content.ReadAsStringAsync());

        var task = await Store.WaitUntilFinishedAsync(taskId);
        task.Status.ShouldBe(AgentTaskStatus.Cancelled);
        task.Error.ShouldBe("The plan was rejected: Fix the parser instead.");
        task.Commits.ShouldBeEmpty();
        _sandbox.OriginBranch(task.WorkBranch).ShouldBeNull();
        await Eventually(() => !Directory.Exists(WorkspaceOf(taskId)), "the rejected plan's workspace is removed");

        var approve = await client.PostFormAsync($"/projects/rejected/agents/{taskId}?handler=Approve", new());
        approve.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task a_waiting_plan_holds_no_slot_and_ends_when_no_one_decides_in_time()
    {
        var approval = Host.Services.GetRequiredService<PlanApprovalOptions>();
        var limit = approval.WaitLimit;
        approval.WaitLimit = TimeSpan.FromSeconds(3);
        try
        {
            // One task at a time on this project: the waiting plan must not be what holds it.
            var (client, credential) = await ProjectWithCredential("waiting", maxConcurrent: 1);
            var planned = await StartPlanFirst(client, "waiting", credential);
            (await AwaitingApproval(planned)).Status.ShouldBe(AgentTaskStatus.AwaitingApproval);

            var other = await client.StartTaskAsync("waiting", credential, "echo other > OTHER.md && git add OTHER.md && git commit -qm other");
            var done = await Store.WaitUntilFinishedAsync(other);
            done.Status.ShouldBe(AgentTaskStatus.Completed, done.Error);

            var expired = await Store.WaitUntilFinishedAsync(planned, 30);
            expired.Status.ShouldBe(AgentTaskStatus.Cancelled);
            expired.Error.ShouldBe("The plan was not approved within 3 seconds; the task ended and its workspace was released. Retry it to plan again.");
            await Eventually(() => !Directory.Exists(WorkspaceOf(planned)), "the expired plan's workspace is removed");
        }
        finally
        {
            approval.WaitLimit = limit;
        }
    }

    [Fact]
    public async Task cancelling_a_waiting_plan_ends_it_at_once()
    {
        var (client, credential) = await ProjectWithCredential("dropped");
        var taskId = await StartPlanFirst(client, "dropped", credential);
        (await AwaitingApproval(taskId)).Status.ShouldBe(AgentTaskStatus.AwaitingApproval);

        (await client.PostFormAsync($"/projects/dropped/agents/{taskId}?handler=Cancel", new())).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var task = await Store.WaitUntilFinishedAsync(taskId);
        task.Status.ShouldBe(AgentTaskStatus.Cancelled);
        task.Error.ShouldBe("Cancelled while its plan waited for approval.");
        await Eventually(() => !Directory.Exists(WorkspaceOf(taskId)), "the cancelled plan's workspace is removed");
    }

    [Fact]
    public async Task a_plan_phase_that_writes_no_plan_fails_and_an_agent_that_cannot_plan_is_refused()
    {
        var (client, credential) = await ProjectWithCredential("noplan");
        var silent = await StartPlanFirst(client, "noplan", credential, "true");
        var task = await Store.WaitUntilFinishedAsync(silent);
        task.Status.ShouldBe(AgentTaskStatus.Failed);
        task.Error.ShouldBe("The agent ended its plan phase without writing a plan. Retry the task, or run it without a plan.");
        await Eventually(() => !Directory.Exists(WorkspaceOf(silent)), "the plan phase's workspace is removed");

        var refused = await PostTask(client, "noplan", credential, "echo hi", provider: "aider");
        refused.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await refused.Content.ReadAsStringAsync()).ShouldContain("Aider cannot write a plan for approval first.");
    }

    private static async Task Eventually(Func<bool> condition, string what)
    {
        for (var i = 0; i < 100 && !condition(); i++) await Task.Delay(100);
        condition().ShouldBeTrue(what);
    }
}
