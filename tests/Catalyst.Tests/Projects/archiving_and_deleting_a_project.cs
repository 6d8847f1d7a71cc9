using System.Net;
using System.Text.RegularExpressions;
using Catalyst.Integrations.Projects;
using Catalyst.Tasks.Domain;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Tasks;
using Catalyst.Tests.Workspaces;
using Marten;

namespace Catalyst.Tests.Projects;

/// <summary>
/// A project's creator (or an admin) archives it, making it read-only, or deletes it, saying what becomes of its tasks'
/// history and typing its slug. Plain members are refused, and people outside the project do not see it at all.
/// </summary>
public sealed class archiving_and_deleting_a_project(AppFixture fixture) : IntegrationContext(fixture), IDisposable
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();

    public void Dispose() => _sandbox.Dispose();

    private static string FieldError(string html, string field) =>
        WebUtility.HtmlDecode(Regex.Match(html, $"data-valmsg-for=\"{Regex.Escape(field)}\"[^>]*>([^<]*)<").Groups[1].Value);

    /// <summary>Signs up an admin first (the first account is one), so that the people of the test are plain accounts.</summary>
    private async Task<PageClient> Creator(string slug)
    {
        (await SignedUp("root@example.com")).Dispose();
        var ada = await SignedUp("ada@example.com");
        await ada.CreateProjectAsync(slug, _sandbox.Origin);
        return ada;
    }

    private static Task<HttpResponseMessage> Post(PageClient client, string slug, string handler, Dictionary<string, string>? fields = null, string? formPage = null) =>
        client.PostFormAsync($"/projects/{slug}/edit?handler={handler}", fields ?? new(), formPage: formPage ?? $"/projects/{slug}/edit");

    private static Task<HttpResponseMessage> Delete(PageClient client, string slug, string? history, string? confirm, string? formPage = null)
    {
        var fields = new Dictionary<string, string>();
        if (history is not null) fields["TaskHistory"] = history;
        if (confirm is not null) fields["ConfirmSlug"] = confirm;
        return Post(client, slug, "Delete", fields, formPage);
    }

    [Fact]
    public async Task an_archived_project_is_listed_apart_takes_no_new_tasks_nor_changes_and_works_again_once_unarchived()
    {
        using var ada = await Creator("attic");
        await ada.CreateProjectAsync("busy", _sandbox.Origin);
        var credential = await ada.AddScriptCredentialAsync(Store);

        var archived = await Post(ada, "attic", "Archive");
        archived.StatusCode.ShouldBe(HttpStatusCode.Redirect, await archived.Content.ReadAsStringAsync());
        archived.Headers.Location!.ToString().ShouldBe("/projects/attic");

        var list = await ada.GetHtmlAsync("/projects");
        var apart = list.IndexOf("id=\"archived\"", StringComparison.Ordinal);
        apart.ShouldBeGreaterThan(0);
        list.IndexOf("href=\"/projects/attic\"", StringComparison.Ordinal).ShouldBeGreaterThan(apart);
        list.IndexOf("href=\"/projects/busy\"", StringComparison.Ordinal).ShouldBeLessThan(apart);

        // Scripts read it too.
        var api = await ada.GetAsync("/api/projects/attic");
        api.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await api.Content.ReadAsStringAsync()).ShouldContain("\"isArchived\":true");

        var show = await ada.GetHtmlAsync("/projects/attic");
        show.ShouldContain("id=\"archived-notice\"");
        show.ShouldNotContain("href=\"/projects/attic/agents/new\"");
        (await ada.GetHtmlAsync("/projects/attic/agents/new")).ShouldContain("is archived and takes no new tasks");

        var refused = await ada.PostFormAsync("/projects/attic/agents/new", new()
        {
            ["Type"] = "feature-dev", ["Provider"] = ScriptAgent.Name, ["CredentialId"] = credential.ToString(), ["Instructions"] = "echo hi",
        });
        refused.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        WebUtility.HtmlDecode(await refused.Content.ReadAsStringAsync())
            .ShouldContain("The project “attic” is archived and takes no new tasks. Unarchive it on its settings page to start tasks again.");

        var edit = await ada.PostFormAsync("/projects/attic/edit", new()
        {
            ["Form.Name"] = "Renamed", ["Form.RepositoryUrl"] = _sandbox.Origin, ["Form.DefaultBranch"] = "main",
            ["Form.TimeoutSeconds"] = "120", ["Form.MaxConcurrentTasks"] = "2",
        });
        edit.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        WebUtility.HtmlDecode(await edit.Content.ReadAsStringAsync()).ShouldContain("The project “attic” is archived, so it is read-only: its settings cannot be changed.");
        (await ada.GetHtmlAsync("/projects/attic")).ShouldNotContain("Renamed");

        (await Post(ada, "attic", "Unarchive")).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await ada.GetHtmlAsync("/projects")).ShouldNotContain("id=\"archived\"");
        var taskId = await ada.StartTaskAsync("attic", credential, "echo hi > HI.md && git add HI.md && git commit -qm 'Say hi'");
        (await Store.WaitUntilFinishedAsync(taskId)).Status.ShouldBe(AgentTaskStatus.Completed);
    }

    [Fact]
    public async Task a_plain_member_is_refused_with_403_and_someone_outside_the_project_gets_404()
    {
        using var ada = await Creator("guarded");
        (await ada.PostFormAsync("/projects/guarded?handler=AddMember", new() { ["Email"] = "bob@example.com" }, formPage: "/projects/guarded"))
            .StatusCode.ShouldBe(HttpStatusCode.Redirect);
        using var bob = await SignedUp("bob@example.com");
        using var eve = await SignedUp("eve@example.com");

        var settings = await bob.GetHtmlAsync("/projects/guarded/edit");
        settings.ShouldContain("Only the person who created this project, or an admin, can archive or delete it.");
        settings.ShouldNotContain("handler=Delete");
        (await Post(bob, "guarded", "Archive")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await Post(bob, "guarded", "Unarchive")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await Delete(bob, "guarded", "delete", "guarded")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);

        (await Post(eve, "guarded", "Archive", formPage: "/projects/new")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await Delete(eve, "guarded", "delete", "guarded", formPage: "/projects/new")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await Delete(eve, "no-such-project", "delete", "no-such-project", formPage: "/projects/new")).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        var still = await ada.GetHtmlAsync("/projects/guarded");
        still.ShouldNotContain("id=\"archived-notice\"");
    }

    [Fact]
    public async Task an_admin_who_is_a_member_may_archive_a_project_someone_else_created()
    {
        using var root = await SignedUp("root@example.com");
        using var ada = await SignedUp("ada@example.com");
        await ada.CreateProjectAsync("shared", _sandbox.Origin);
        (await ada.PostFormAsync("/projects/shared?handler=AddMember", new() { ["Email"] = "root@example.com" }, formPage: "/projects/shared"))
            .StatusCode.ShouldBe(HttpStatusCode.Redirect);
        // The invitation is taken up at the next sign-in.
        using var admin = NewClient();
        (await admin.PostFormAsync("/signin", new() { ["Email"] = "root@example.com", ["Password"] = "correct horse battery" })).StatusCode.ShouldBe(HttpStatusCode.Redirect);

        (await Post(admin, "shared", "Archive")).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await ada.GetHtmlAsync("/projects/shared")).ShouldContain("id=\"archived-notice\"");
    }

    [Fact]
    public async Task delete_asks_what_becomes_of_the_history_and_for_the_slug_and_bad_input_gets_a_400_that_says_so()
    {
        using var ada = await Creator("careful");
        var form = await ada.GetHtmlAsync("/projects/careful/edit");
        form.ShouldContain("Keep their history.");
        form.ShouldContain("Delete their history.");
        // Neither answer is chosen for the person.
        Regex.IsMatch(form, "name=\"TaskHistory\"[^>]*checked").ShouldBeFalse();

        var nothing = await Delete(ada, "careful", null, null);
        nothing.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var html = await nothing.Content.ReadAsStringAsync();
        FieldError(html, "TaskHistory").ShouldBe("Choose what becomes of the project's tasks: keep their history, or delete it.");
        FieldError(html, "ConfirmSlug").ShouldBe("Type the project's slug, careful, to confirm that this project is the one to delete.");

        foreach (var (history, confirm) in new[] { ("maybe", "careful"), ("keep", "Careful"), ("delete", "careful-x"), ("KEEP", "careful"),
                     ("keep", new string('c', 10_000)), ("delete\u0000", "careful\u202e") })
        {
            var response = await Delete(ada, "careful", history, confirm);
            response.StatusCode.ShouldBe(HttpStatusCode.BadRequest, $"{history} / {confirm[..Math.Min(20, confirm.Length)]}");
        }
        (await ada.GetAsync("/projects/careful")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task delete_is_refused_while_a_task_runs_and_then_keeps_the_tasks_history_when_asked_to()
    {
        using var ada = await Creator("leaving");
        var credential = await ada.AddScriptCredentialAsync(Store);
        var taskId = await ada.StartTaskAsync("leaving", credential, "echo working; sleep 300");
        await Store.WaitForAsync(taskId, t => t.Status == AgentTaskStatus.Running);

        var refused = await Delete(ada, "leaving", "keep", "leaving");
        refused.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        WebUtility.HtmlDecode(await refused.Content.ReadAsStringAsync())
            .ShouldContain("1 task of this project is still queued, running or waiting for a decision. Cancel it or let it end, then delete the project.");
        (await ada.GetAsync("/projects/leaving")).StatusCode.ShouldBe(HttpStatusCode.OK);

        (await ada.PostFormAsync($"/projects/leaving/agents/{taskId}?handler=Cancel", new(), formPage: $"/projects/leaving/agents/{taskId}"))
            .StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await Store.WaitUntilFinishedAsync(taskId, 30)).Status.ShouldBe(AgentTaskStatus.Cancelled);

        var deleted = await Delete(ada, "leaving", "keep", "leaving");
        deleted.StatusCode.ShouldBe(HttpStatusCode.Redirect, await deleted.Content.ReadAsStringAsync());
        deleted.Headers.Location!.ToString().ShouldBe("/projects");
        (await ada.GetAsync("/projects/leaving")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await ada.GetHtmlAsync("/projects")).ShouldNotContain("/projects/leaving");
        await using var session = Store.QuerySession();
        (await session.Query<Project>().CountAsync(p => p.Slug == "leaving")).ShouldBe(0);
        (await session.LoadAsync<AgentTask>(taskId)).ShouldNotBeNull();
        (await session.Events.FetchStreamAsync(taskId)).ShouldNotBeEmpty();
        (await Host.Services.LogsAsync(taskId)).ShouldNotBeEmpty();
    }

    [Fact]
    public async Task deleting_with_the_history_erases_every_task_its_events_and_its_log_and_frees_the_slug()
    {
        using var ada = await Creator("erase");
        var credential = await ada.AddScriptCredentialAsync(Store);
        var taskId = await ada.StartTaskAsync("erase", credential, "echo gone > GONE.md && git add GONE.md && git commit -qm 'Gone soon'");
        (await Store.WaitUntilFinishedAsync(taskId)).Status.ShouldBe(AgentTaskStatus.Completed);
        (await Host.Services.LogsAsync(taskId)).ShouldNotBeEmpty();

        (await Delete(ada, "erase", "delete", "erase")).StatusCode.ShouldBe(HttpStatusCode.Redirect);

        await using (var session = Store.QuerySession())
        {
            (await session.LoadAsync<AgentTask>(taskId)).ShouldBeNull();
            (await session.Events.FetchStreamAsync(taskId)).ShouldBeEmpty();
        }
        (await Host.Services.LogsAsync(taskId)).ShouldBeEmpty();
        (await ada.GetAsync($"/projects/erase/agents/{taskId}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        await ada.CreateProjectAsync("erase", _sandbox.Origin);
        (await ada.GetHtmlAsync("/projects/erase")).ShouldContain("No tasks yet.");
    }
}
