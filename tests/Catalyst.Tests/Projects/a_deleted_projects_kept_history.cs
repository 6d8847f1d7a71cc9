using System.Net;
using Catalyst.Contracts;
using Catalyst.Tasks;
using Catalyst.Tasks.Domain;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Tasks;
using Catalyst.Tests.Workspaces;
using Marten;

namespace Catalyst.Tests.Projects;

/// <summary>
/// A project deleted keeping its tasks' history: the person who started each task still reads it (log, result, commits, the
/// diff while the repository exists) and finds it on /tasks marked as of a deleted project, but cannot act on it. Anyone
/// else, former members included, gets a 404 as before.
/// </summary>
public sealed class a_deleted_projects_kept_history(AppFixture fixture) : IntegrationContext(fixture), IDisposable
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();

    public void Dispose() => _sandbox.Dispose();

    private const string ReadOnly = "The project “Project legacy” was deleted; this task is kept as read-only history, so it cannot be retried, cancelled, approved or changed.";

    [Fact]
    public async Task its_creator_reads_the_kept_tasks_and_finds_them_on_all_tasks_but_cannot_act_on_them_and_no_one_else_sees_them()
    {
        (await SignedUp("root@example.com")).Dispose();
        using var ada = await SignedUp("ada@example.com");
        await ada.CreateProjectAsync("legacy", _sandbox.Origin);
        (await ada.PostFormAsync("/projects/legacy?handler=AddMember", new() { ["Email"] = "bob@example.com" }, formPage: "/projects/legacy"))
            .StatusCode.ShouldBe(HttpStatusCode.Redirect);
        using var bob = await SignedUp("bob@example.com");
        using var eve = await SignedUp("eve@example.com");
        var credential = await ada.AddScriptCredentialAsync(Store);
        var done = await ada.StartTaskAsync("legacy", credential, "echo kept > KEPT.md && git add KEPT.md && git commit -qm 'Keep this work'");
        var failed = await ada.StartTaskAsync("legacy", credential, "echo about to fail; exit 3");
        (await Store.WaitUntilFinishedAsync(done)).Status.ShouldBe(AgentTaskStatus.Completed);
        (await Store.WaitUntilFinishedAsync(failed)).Status.ShouldBe(AgentTaskStatus.Failed);
        (await bob.GetAsync($"/projects/legacy/agents/{done}")).StatusCode.ShouldBe(HttpStatusCode.OK, "a member reads the task while the project exists");

        var deleted = await ada.PostFormAsync("/projects/legacy/edit?handler=Delete", new() { ["TaskHistory"] = "keep", ["ConfirmSlug"] = "legacy" },
            formPage: "/projects/legacy/edit");
        deleted.StatusCode.ShouldBe(HttpStatusCode.Redirect, await deleted.Content.ReadAsStringAsync());
        (await ada.GetAsync("/projects/legacy")).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        // The task page: read-only, with its log, result and commits, and no action offered.
        var page = WebUtility.HtmlDecode(await ada.GetHtmlAsync($"/projects/legacy/agents/{done}"));
        page.ShouldContain("id=\"deleted-project-notice\"");
        page.ShouldContain("The project “Project legacy” was deleted");
        page.ShouldContain("Keep this work");
        page.ShouldContain("Finished: completed");
        page.ShouldNotContain("handler=Retry");
        page.ShouldNotContain("handler=Cancel");
        var failedPage = WebUtility.HtmlDecode(await ada.GetHtmlAsync($"/projects/legacy/agents/{failed}"));
        failedPage.ShouldContain("about to fail");
        failedPage.ShouldNotContain("handler=Retry");
        (await ada.GetHtmlAsync($"/projects/legacy/agents/{failed}?handler=Download")).ShouldContain("about to fail");

        // The diff, read from the repository the work was pushed to while it exists.
        (await ada.GetHtmlAsync($"/projects/legacy/agents/{done}/diff")).ShouldContain("KEPT.md");

        // On /tasks, marked as of a deleted project.
        var all = WebUtility.HtmlDecode(await ada.GetHtmlAsync("/tasks"));
        all.ShouldContain($"/projects/legacy/agents/{done}");
        all.ShouldContain($"/projects/legacy/agents/{failed}");
        all.ShouldContain("deleted project");
        all.ShouldContain("<span class=\"muted\">2 tasks</span>");
        WebUtility.HtmlDecode(await ada.GetHtmlAsync("/tasks?status=failed")).ShouldContain("<span class=\"muted\">1 task</span>");

        // Actions are refused in words: retry through the page, and the commands any caller sends.
        var retry = await ada.PostFormAsync($"/projects/legacy/agents/{failed}?handler=Retry", new(), formPage: $"/projects/legacy/agents/{failed}");
        retry.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        WebUtility.HtmlDecode(await retry.Content.ReadAsStringAsync()).ShouldContain(ReadOnly);
        var adaId = await UserId("ada@example.com");
        (await Invoke<Result<AgentTaskCreatedResult>>(new RetryAgentTask(adaId, failed))).Errors.ShouldHaveSingleItem().Message.ShouldBe(ReadOnly);
        (await Invoke<Result<AgentTaskView>>(new CancelAgentTask(adaId, failed))).Errors.ShouldHaveSingleItem().Message.ShouldBe(ReadOnly);
        (await Invoke<Result<AgentTaskView>>(new ApproveAgentPlan(adaId, done, null))).Errors.ShouldHaveSingleItem().Message.ShouldBe(ReadOnly);
        await using (var session = Store.QuerySession())
            (await session.Query<AgentTask>().CountAsync(t => t.RetryOf == failed)).ShouldBe(0);

        // A former member and a stranger: as if the task did not exist.
        foreach (var other in new[] { bob, eve })
        {
            (await other.GetAsync($"/projects/legacy/agents/{done}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
            (await other.GetAsync($"/projects/legacy/agents/{done}/diff")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
            (await other.GetHtmlAsync("/tasks")).ShouldNotContain(done.ToString());
        }
        (await Invoke<Result<AgentTaskCreatedResult>>(new RetryAgentTask(await UserId("bob@example.com"), failed))).IsNotFound.ShouldBeTrue();

        // Once the repository is gone, the diff page says so.
        Directory.Move(_sandbox.Origin, _sandbox.Origin + ".moved");
        (await ada.GetHtmlAsync($"/projects/legacy/agents/{done}/diff")).ShouldContain("is not there any more");
    }

    [Fact]
    public async Task a_new_project_that_takes_the_slug_does_not_take_the_kept_tasks()
    {
        (await SignedUp("root@example.com")).Dispose();
        using var ada = await SignedUp("ada@example.com");
        await ada.CreateProjectAsync("reused", _sandbox.Origin);
        var credential = await ada.AddScriptCredentialAsync(Store);
        var old = await ada.StartTaskAsync("reused", credential, "echo old");
        await Store.WaitUntilFinishedAsync(old);
        (await ada.PostFormAsync("/projects/reused/edit?handler=Delete", new() { ["TaskHistory"] = "keep", ["ConfirmSlug"] = "reused" },
            formPage: "/projects/reused/edit")).StatusCode.ShouldBe(HttpStatusCode.Redirect);

        await ada.CreateProjectAsync("reused", _sandbox.Origin);
        (await ada.GetHtmlAsync("/projects/reused/agents")).ShouldNotContain(old.ToString());
        (await ada.GetHtmlAsync($"/projects/reused/agents/{old}")).ShouldContain("id=\"deleted-project-notice\"");
    }
}
