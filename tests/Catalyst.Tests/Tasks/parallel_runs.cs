using System.Net;
using Catalyst.Tasks;
using Catalyst.Tasks.Domain;
using Catalyst.Tests.Credentials;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Workspaces;
using Marten;

namespace Catalyst.Tests.Tasks;

public sealed class parallel_runs(AppFixture fixture) : IntegrationContext(fixture), IDisposable
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();

    public void Dispose() => _sandbox.Dispose();

    private async Task<(PageClient Client, Guid Credential)> ProjectWithCredential(string slug)
    {
        var client = await SignedUp($"{slug}@example.com");
        await client.CreateProjectAsync(slug, _sandbox.Origin, maxConcurrent: 3);
        return (client, await client.AddScriptCredentialAsync(Store));
    }

    [Fact]
    public async Task three_runs_get_three_workspaces_and_three_pushed_branches_then_the_request_awaits_a_choice()
    {
        var (client, credential) = await ProjectWithCredential("fan");
        var parentId = await client.StartRunsAsync("fan", credential, ParallelRunSteps.ScriptWhere(run2: ":"), runs: 3);

        await using (var session = Store.QuerySession())
        {
            var parent = (await session.LoadAsync<AgentTask>(parentId))!;
            parent.Status.ShouldBe(AgentTaskStatus.Running);
            parent.RunIds.Count.ShouldBe(3);
            parent.ProviderDisplayName.ShouldBe("3 runs: Script agent ×3");
        }
        var waiting = await Store.WaitForAsync(parentId, t => t.Status != AgentTaskStatus.Running, 120);
        waiting.Status.ShouldBe(AgentTaskStatus.AwaitingChoice, waiting.Error);

        var runs = await Store.RunsOfAsync(parentId);
        runs.Select(r => r.RunNumber).ShouldBe([1, 2, 3]);
        runs.ShouldAllBe(r => r.Status == AgentTaskStatus.Completed && r.ParentId == parentId && r.BranchPushed);
        runs.Select(r => r.WorkBranch).Distinct().Count().ShouldBe(3);
        foreach (var run in runs)
        {
            _sandbox.OriginBranch(run.WorkBranch).ShouldBe(run.Commits[^1].Sha);
            run.Commits.ShouldContain(c => c.Message == $"Change on {run.WorkBranch}");
        }
        var workspaces = new List<string>();
        await using (var session = Store.QuerySession())
            foreach (var run in runs)
                workspaces.Add((await session.Events.FetchStreamAsync(run.Id)).Select(e => e.Data).OfType<WorkspaceReady>().Single().Location);
        workspaces.Distinct().Count().ShouldBe(3);

        // The request's page: the runs side by side, each with its branch, its last log lines and a pick button.
        var page = await client.GetHtmlAsync($"/projects/fan/agents/{parentId}/runs");
        page.ShouldContain("badge awaiting choice");
        foreach (var run in runs)
        {
            page.ShouldContain($"id=\"run-{run.RunNumber}\" data-run=\"{run.Id}\" data-status=\"completed\"");
            page.ShouldContain(run.WorkBranch);
        }
        CountOf(page, "Task completed: ").ShouldBe(3); // the last log line of each run
        CountOf(page, "Use this run").ShouldBe(3);
        // The request's own address shows its runs.
        var show = await client.GetAsync($"/projects/fan/agents/{parentId}");
        show.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        show.Headers.Location!.ToString().ShouldBe($"/projects/fan/agents/{parentId}/runs");
        // Live refresh: the panels alone, and "stop polling" once no run is going.
        var panels = new HttpRequestMessage(HttpMethod.Get, $"/projects/fan/agents/{parentId}/runs?handler=Panels");
        panels.Headers.Add("HX-Request", "true");
        var refreshed = await client.SendAsync(panels);
        ((int)refreshed.StatusCode).ShouldBe(286);
        (await refreshed.Content.ReadAsStringAsync()).ShouldContain("id=\"runs\"");

        // The task list shows the request once, not its runs.
        var list = WebUtility.HtmlDecode(await client.GetHtmlAsync("/projects/fan/agents"));
        list.ShouldContain($"data-task=\"{parentId}\"");
        list.ShouldContain("3 runs: Script agent ×3");
        foreach (var run in runs) list.ShouldNotContain($"data-task=\"{run.Id}\"");
        // A run's page links back to its request.
        (await client.GetHtmlAsync($"/projects/fan/agents/{runs[1].Id}")).ShouldContain($"href=\"/projects/fan/agents/{parentId}/runs\" id=\"parent-request\">run 2 of a parallel request");
    }

    [Fact]
    public async Task the_runs_page_shows_each_runs_changes_side_by_side_on_the_page_itself()
    {
        var (client, credential) = await ProjectWithCredential("sbs");
        var parentId = await client.StartRunsAsync("sbs", credential, ParallelRunSteps.ScriptWhere(run2: "echo 'only run 2' > TWO.md && git add TWO.md"), runs: 2);
        (await Store.WaitForAsync(parentId, t => t.Status != AgentTaskStatus.Running, 120)).Status.ShouldBe(AgentTaskStatus.AwaitingChoice);
        var runs = await Store.RunsOfAsync(parentId);

        var page = WebUtility.HtmlDecode(await client.GetHtmlAsync($"/projects/sbs/agents/{parentId}/runs"));
        page.ShouldContain("Changes side by side");
        var first = Between(page, "id=\"run-1-changes\"", "id=\"run-2-changes\"");
        var second = Between(page, "id=\"run-2-changes\"", "id=\"task-timeline\"");
        // Each column holds its own run's lines, in the runs' order: run 2 alone added TWO.md.
        first.ShouldContain($"<div class=\"dl add\" role=\"row\">change on {runs[0].WorkBranch}</div>");
        first.ShouldNotContain("TWO.md");
        second.ShouldContain($"<div class=\"dl add\" role=\"row\">change on {runs[1].WorkBranch}</div>");
        second.ShouldContain("<code>TWO.md</code>");
        second.ShouldContain("<div class=\"dl add\" role=\"row\">only run 2</div>");
        // The summary in each run's card links to that run's files below, not to another page.
        page.ShouldContain("href=\"#run-2-file-0\"");
        page.ShouldContain("id=\"run-2-file-0\"");
        page.ShouldNotContain("hx-trigger=\"load\"");

        // The live refresh carries the same changes.
        var panels = new HttpRequestMessage(HttpMethod.Get, $"/projects/sbs/agents/{parentId}/runs?handler=Panels");
        panels.Headers.Add("HX-Request", "true");
        WebUtility.HtmlDecode(await (await client.SendAsync(panels)).Content.ReadAsStringAsync()).ShouldContain("<div class=\"dl add\" role=\"row\">only run 2</div>");
    }

    private static string Between(string text, string start, string end)
    {
        var from = text.IndexOf(start, StringComparison.Ordinal);
        from.ShouldBeGreaterThanOrEqualTo(0, start);
        var to = text.IndexOf(end, from, StringComparison.Ordinal);
        to.ShouldBeGreaterThan(from, end);
        return text[from..to];
    }

    [Fact]
    public async Task picking_a_completed_run_makes_its_branch_the_result_once_and_a_failed_run_cannot_be_picked()
    {
        var (client, credential) = await ProjectWithCredential("pick");
        var parentId = await client.StartRunsAsync("pick", credential,
            ParallelRunSteps.ScriptWhere(run2: "echo 'run two gives up' >&2; exit 4"), runs: 3);
        (await Store.WaitForAsync(parentId, t => t.Status != AgentTaskStatus.Running, 120)).Status.ShouldBe(AgentTaskStatus.AwaitingChoice);
        var runs = await Store.RunsOfAsync(parentId);
        runs.Select(r => r.Status).ShouldBe([AgentTaskStatus.Completed, AgentTaskStatus.Failed, AgentTaskStatus.Completed]);
        var page = await client.GetHtmlAsync($"/projects/pick/agents/{parentId}/runs");
        CountOf(page, "Use this run").ShouldBe(2);
        page.ShouldContain("run two gives up");

        var failed = await client.ChooseAsync("pick", parentId, runs[1].Id);
        failed.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        WebUtility.HtmlDecode(await failed.Content.ReadAsStringAsync()).ShouldContain("Only a completed run can be chosen; run 2 (Script agent) is failed.");

        var chosen = await client.ChooseAsync("pick", parentId, runs[2].Id);
        chosen.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        chosen.Headers.Location!.ToString().ShouldBe($"/projects/pick/agents/{parentId}/runs");
        var parent = await Store.WaitForAsync(parentId, t => t.Status.IsFinished());
        parent.Status.ShouldBe(AgentTaskStatus.Completed);
        parent.ChosenRunId.ShouldBe(runs[2].Id);
        parent.WorkBranch.ShouldBe(runs[2].WorkBranch);
        parent.Commits.Select(c => c.Sha).ShouldBe(runs[2].Commits.Select(c => c.Sha));
        parent.BranchPushed.ShouldBeTrue();
        parent.Summary!.ShouldStartWith("Run 3 (Script agent) chosen");

        var result = WebUtility.HtmlDecode(await client.GetHtmlAsync($"/projects/pick/agents/{parentId}/runs"));
        result.ShouldContain("badge completed");
        result.ShouldContain("Run 3 chosen");
        result.ShouldContain($"Change on {runs[2].WorkBranch}");
        result.ShouldNotContain("Use this run");

        var again = await client.ChooseAsync("pick", parentId, runs[0].Id, formPage: $"/projects/pick/agents/{runs[0].Id}");
        again.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        WebUtility.HtmlDecode(await again.Content.ReadAsStringAsync()).ShouldContain("Run 3 was already chosen");
        (await Store.WaitForAsync(parentId, t => true)).ChosenRunId.ShouldBe(runs[2].Id);
    }

    [Fact]
    public async Task another_person_can_neither_see_nor_pick_the_runs()
    {
        var (client, credential) = await ProjectWithCredential("mine");
        var parentId = await client.StartRunsAsync("mine", credential, ParallelRunSteps.ScriptWhere(run2: ":"), runs: 2);
        (await Store.WaitForAsync(parentId, t => t.Status != AgentTaskStatus.Running, 120)).Status.ShouldBe(AgentTaskStatus.AwaitingChoice);
        var runs = await Store.RunsOfAsync(parentId);

        using var bob = await SignedUp("bob-mine@example.com");
        (await bob.GetAsync($"/projects/mine/agents/{parentId}/runs")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await bob.GetAsync($"/projects/mine/agents/{runs[0].Id}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await bob.ChooseAsync("mine", parentId, runs[0].Id, formPage: "/projects/new")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var bobId = await UserId("bob-mine@example.com");
        (await Invoke<Catalyst.Contracts.Result<AgentTaskView>>(new ChooseAgentRun(bobId, parentId, runs[0].Id))).IsNotFound.ShouldBeTrue();
        (await Store.WaitForAsync(parentId, t => true)).Status.ShouldBe(AgentTaskStatus.AwaitingChoice);
    }

    [Fact]
    public async Task when_no_run_completes_the_request_fails_saying_how_each_ended()
    {
        var (client, credential) = await ProjectWithCredential("none");
        var parentId = await client.StartRunsAsync("none", credential, "echo 'no luck' >&2; exit 2", runs: 2);
        var parent = await Store.WaitForAsync(parentId, t => t.Status != AgentTaskStatus.Running, 120);
        parent.Status.ShouldBe(AgentTaskStatus.Failed);
        parent.Error!.ShouldStartWith("No run completed: run 1 (Script agent) failed: The agent exited with code 2");
        parent.Error.ShouldContain("run 2 (Script agent) failed");
        var page = WebUtility.HtmlDecode(await client.GetHtmlAsync($"/projects/none/agents/{parentId}/runs"));
        page.ShouldContain("No run completed");
        page.ShouldNotContain("Use this run");

        // Neither the request nor a run of it is retried: a new request is started instead.
        var run = (await Store.RunsOfAsync(parentId))[0];
        var runPage = await client.GetHtmlAsync($"/projects/none/agents/{run.Id}");
        runPage.ShouldNotContain("handler=Retry");
        var retry = await client.PostFormAsync($"/projects/none/agents/{run.Id}?handler=Retry", new(), formPage: $"/projects/none/agents/{run.Id}");
        retry.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await retry.Content.ReadAsStringAsync()).ShouldContain("A run of a parallel request is not retried on its own");
    }

    [Fact]
    public async Task cancelling_the_request_cancels_its_runs()
    {
        var (client, credential) = await ProjectWithCredential("stop");
        var parentId = await client.StartRunsAsync("stop", credential, "echo waiting; sleep 300", runs: 2);
        foreach (var run in await Store.RunsOfAsync(parentId)) await Store.WaitForAsync(run.Id, t => t.Status == AgentTaskStatus.Running);

        var cancel = await client.PostFormAsync($"/projects/stop/agents/{parentId}/runs?handler=Cancel", new(), formPage: $"/projects/stop/agents/{parentId}/runs");
        cancel.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await Store.WaitForAsync(parentId, t => true)).Status.ShouldBe(AgentTaskStatus.Cancelled);
        foreach (var run in await Store.RunsOfAsync(parentId))
            (await Store.WaitUntilFinishedAsync(run.Id, 30)).Status.ShouldBe(AgentTaskStatus.Cancelled);
    }

    [Fact]
    public async Task a_run_can_be_picked_as_soon_as_it_completed_and_the_others_are_cancelled()
    {
        var (client, credential) = await ProjectWithCredential("early");
        var parentId = await client.StartRunsAsync("early", credential, ParallelRunSteps.ScriptWhere(run2: "echo 'still thinking'; sleep 300"), runs: 2);
        var runs = await Store.RunsOfAsync(parentId);
        (await Store.WaitUntilFinishedAsync(runs[0].Id)).Status.ShouldBe(AgentTaskStatus.Completed);
        await Store.WaitForAsync(runs[1].Id, t => t.Status == AgentTaskStatus.Running);
        (await Store.WaitForAsync(parentId, t => true)).Status.ShouldBe(AgentTaskStatus.Running);
        CountOf(await client.GetHtmlAsync($"/projects/early/agents/{parentId}/runs"), "Use this run").ShouldBe(1);

        (await client.ChooseAsync("early", parentId, runs[0].Id)).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var parent = await Store.WaitForAsync(parentId, t => true);
        parent.Status.ShouldBe(AgentTaskStatus.Completed);
        parent.WorkBranch.ShouldBe(runs[0].WorkBranch);
        (await Store.WaitUntilFinishedAsync(runs[1].Id, 30)).Status.ShouldBe(AgentTaskStatus.Cancelled);
        (await Store.WaitForAsync(parentId, t => true)).Status.ShouldBe(AgentTaskStatus.Completed);
    }

    [Fact]
    public async Task different_credentials_are_compared_from_their_own_form()
    {
        var (client, first) = await ProjectWithCredential("compare");
        var second = await client.AddScriptCredentialAsync(Store, key: "sk-script-second-9a8b7c6d", label: "second");
        var form = WebUtility.HtmlDecode(await client.GetHtmlAsync("/projects/compare/agents/compare"));
        form.ShouldContain("name=\"Runs[4]\"");
        form.ShouldContain("Script agent · second");

        var response = await client.PostFormAsync("/projects/compare/agents/compare", new()
        {
            ["Type"] = "refactor", ["Instructions"] = "echo compared", ["Runs[0]"] = first.ToString(), ["Runs[1]"] = "", ["Runs[2]"] = second.ToString(),
        });
        response.StatusCode.ShouldBe(HttpStatusCode.Redirect, await response.Content.ReadAsStringAsync());
        var parentId = Guid.Parse(response.Headers.Location!.ToString().Split('/')[^2]);
        (await Store.WaitForAsync(parentId, t => t.Status != AgentTaskStatus.Running, 120)).Status.ShouldBe(AgentTaskStatus.AwaitingChoice);
        (await Store.RunsOfAsync(parentId)).Select(r => (r.CredentialLabel, r.Type)).ShouldBe([("script", "refactor"), ("second", "refactor")]);
        var page = WebUtility.HtmlDecode(await client.GetHtmlAsync($"/projects/compare/agents/{parentId}/runs"));
        page.ShouldContain("“script”");
        page.ShouldContain("“second”");
    }

    [Fact]
    public async Task bad_parallel_input_is_a_400_that_names_the_run_and_creates_nothing()
    {
        var (client, credential) = await ProjectWithCredential("badruns");
        var tooMany = await client.PostFormAsync("/projects/badruns/agents/new", new()
        {
            ["Type"] = "feature-dev", ["Provider"] = ScriptAgent.Name, ["CredentialId"] = credential.ToString(), ["Instructions"] = "x", ["Runs"] = "6",
        });
        tooMany.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        CredentialSteps.FieldError(WebUtility.HtmlDecode(await tooMany.Content.ReadAsStringAsync()), "Runs").ShouldBe("Ask for 2 to 5 runs; this asks for 6.");

        var oneRow = await client.PostFormAsync("/projects/badruns/agents/compare", new()
        {
            ["Type"] = "feature-dev", ["Instructions"] = "x", ["Runs[0]"] = credential.ToString(), ["Runs[1]"] = "",
        });
        oneRow.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        WebUtility.HtmlDecode(await oneRow.Content.ReadAsStringAsync()).ShouldContain("Ask for 2 to 5 runs; this asks for 1. A single run is a plain task");

        using var bob = await SignedUp("bob-badruns@example.com");
        var bobs = await bob.AddScriptCredentialAsync(Store, label: "bobs");
        var someoneElses = await client.PostFormAsync("/projects/badruns/agents/compare", new()
        {
            ["Type"] = "feature-dev", ["Instructions"] = "x", ["Runs[0]"] = credential.ToString(), ["Runs[1]"] = bobs.ToString(),
        });
        someoneElses.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        CredentialSteps.FieldError(WebUtility.HtmlDecode(await someoneElses.Content.ReadAsStringAsync()), "Runs[1]")
            .ShouldBe("Run 2: That credential was not found among yours. Choose one of your credentials, or add one under Agent credentials.");

        // Through the command, as MCP sends it: an unknown provider and a credential for another provider, each named by its run.
        var claude = await client.AddCredentialAsync(Store, "claude-code", FakeModelVendor.NewKey("sk-ant-api03-"), "claude");
        var adaId = await UserId("badruns@example.com");
        var result = await Invoke<Catalyst.Contracts.Result<AgentTaskCreatedResult>>(new CreateParallelAgentTask(adaId, "badruns", "feature-dev", "x",
            [new("no-such-agent", credential), new(ScriptAgent.Name, claude), new(ScriptAgent.Name, null, "script")]));
        result.Succeeded.ShouldBeFalse();
        result.Errors.Select(e => (e.Field, e.Message)).ShouldBe([
            ("Runs[0].Provider", "Run 1: There is no active agent provider “no-such-agent”. Use one of the providers listed under Agent credentials."),
            ("Runs[1].CredentialId", "Run 2: The credential “claude” is for claude-code, not script-agent; choose a Script agent credential."),
        ]);

        await using var session = Store.QuerySession();
        (await session.Query<AgentTask>().CountAsync()).ShouldBe(0);
    }

    private static int CountOf(string html, string text) => (html.Length - html.Replace(text, "").Length) / text.Length;
}
