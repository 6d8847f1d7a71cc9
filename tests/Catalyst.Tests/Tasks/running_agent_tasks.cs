using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Catalyst.Tasks.Domain;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Workspaces;

namespace Catalyst.Tests.Tasks;

public sealed class running_agent_tasks(AppFixture fixture) : IntegrationContext(fixture), IDisposable
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();

    public void Dispose() => _sandbox.Dispose();

    private async Task<(PageClient Client, Guid Credential)> ProjectWithCredential(string slug, int timeoutSeconds = 120, int maxConcurrent = 2)
    {
        var client = await SignedUp($"{slug}@example.com");
        await client.CreateProjectAsync(slug, _sandbox.Origin, timeoutSeconds, maxConcurrent);
        return (client, await client.AddScriptCredentialAsync(Store));
    }

    [Fact]
    public async Task a_task_runs_to_completed_with_its_commits_pushed_branch_and_logs()
    {
        var (client, credential) = await ProjectWithCredential("shop");
        var taskId = await client.StartTaskAsync("shop", credential, """
            echo "reading the repository"
            echo "fixed" >> README.md
            git commit -qam "Fix the README"
            echo "new" > NOTES.md
            echo "done"
            """);

        var task = await Store.WaitUntilFinishedAsync(taskId);
        task.Status.ShouldBe(AgentTaskStatus.Completed, task.Error);
        task.Commits.Count.ShouldBe(2); // the agent's own, and the runner's commit of what it left uncommitted
        task.Commits.ShouldContain(c => c.Message == "Fix the README" && c.FilesChanged == 1 && c.Insertions == 1);
        task.BranchPushed.ShouldBeTrue();
        _sandbox.OriginBranch(task.WorkBranch).ShouldBe(task.Commits[^1].Sha);
        _sandbox.OriginBranch("main").ShouldNotBe(task.Commits[^1].Sha);

        var logs = await Host.Services.LogsAsync(taskId);
        logs.Select(l => l.Sequence).ShouldBe(Enumerable.Range(1, logs.Count).Select(i => (long)i));
        logs.ShouldContain(l => l.Message == "reading the repository");
        logs.ShouldContain(l => l.Message == "done");
        logs.Last().Message.ShouldContain("Task completed");

        var page = await client.GetHtmlAsync($"/projects/shop/agents/{taskId}");
        page.ShouldContain("Fix the README");
        page.ShouldContain(task.WorkBranch);
        page.ShouldContain("reading the repository");
        (await client.GetHtmlAsync("/projects/shop/agents")).ShouldContain("badge completed");
    }

    [Fact]
    public async Task an_agent_exiting_non_zero_fails_with_its_last_stderr_lines()
    {
        var (client, credential) = await ProjectWithCredential("broken");
        var taskId = await client.StartTaskAsync("broken", credential, """
            echo "working" 
            echo "error: cannot find module 'left-pad'" >&2
            exit 3
            """);
        var task = await Store.WaitUntilFinishedAsync(taskId);
        task.Status.ShouldBe(AgentTaskStatus.Failed);
        task.ExitCode.ShouldBe(3);
        task.Error!.ShouldContain("cannot find module 'left-pad'");
        task.Error!.ShouldContain("code 3");
    }

    [Fact]
    public async Task cancelling_a_running_task_stops_every_process_of_it()
    {
        var (client, credential) = await ProjectWithCredential("cancel");
        var taskId = await client.StartTaskAsync("cancel", credential, """
            echo "starting a long job"
            sleep 300 &
            ( while true; do sleep 1; done ) &
            sleep 300
            """);
        await Store.WaitForAsync(taskId, t => t.Status == AgentTaskStatus.Running);
        await WaitForLog(taskId, "starting a long job");

        var cancel = await client.PostFormAsync($"/projects/cancel/agents/{taskId}?handler=Cancel", new(), formPage: $"/projects/cancel/agents/{taskId}");
        cancel.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var task = await Store.WaitUntilFinishedAsync(taskId, 30);
        task.Status.ShouldBe(AgentTaskStatus.Cancelled);
        ProcessesOf(taskId).ShouldBeEmpty();

        // A second cancel (another tab, a slow click) is refused on the page in words, not silently.
        var again = await client.PostFormAsync($"/projects/cancel/agents/{taskId}?handler=Cancel", new(), formPage: $"/projects/cancel/agents/{taskId}");
        again.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        System.Net.WebUtility.HtmlDecode(await again.Content.ReadAsStringAsync()).ShouldContain("The task already ended cancelled; there is nothing to cancel.");
    }

    [Fact]
    public async Task a_task_stops_at_the_projects_time_limit_and_keeps_earlier_commits()
    {
        var (client, credential) = await ProjectWithCredential("slow", timeoutSeconds: 5);
        var started = Stopwatch.StartNew();
        var taskId = await client.StartTaskAsync("slow", credential, """
            echo "first step" > STEP.md
            git add STEP.md && git commit -qm "First step"
            echo "thinking for a long time"
            sleep 600
            """);
        var task = await Store.WaitUntilFinishedAsync(taskId, 40);
        started.Stop();
        task.Status.ShouldBe(AgentTaskStatus.TimedOut);
        task.Error!.ShouldContain("5 s");
        (task.EndedAt!.Value - task.StartedAt!.Value).TotalSeconds.ShouldBeLessThan(5 + 12);
        task.Commits.ShouldContain(c => c.Message == "First step");
        _sandbox.OriginBranch(task.WorkBranch).ShouldNotBeNull();
        ProcessesOf(taskId).ShouldBeEmpty();
    }

    [Fact]
    public async Task with_a_limit_of_one_the_second_task_waits_and_starts_when_the_first_ends()
    {
        var (client, credential) = await ProjectWithCredential("queue", maxConcurrent: 1);
        var first = await client.StartTaskAsync("queue", credential, "echo first; sleep 3; echo first done");
        await Store.WaitForAsync(first, t => t.Status == AgentTaskStatus.Running);
        var second = await client.StartTaskAsync("queue", credential, "echo second");

        await Task.Delay(1000);
        await using (var session = Store.QuerySession())
            (await session.LoadAsync<AgentTask>(second))!.Status.ShouldBe(AgentTaskStatus.Pending);
        (await client.GetHtmlAsync($"/projects/queue/agents/{second}")).ShouldContain("position 1 in the queue");

        var firstDone = await Store.WaitUntilFinishedAsync(first);
        var secondDone = await Store.WaitUntilFinishedAsync(second);
        secondDone.Status.ShouldBe(AgentTaskStatus.Completed);
        secondDone.StartedAt!.Value.ShouldBeGreaterThanOrEqualTo(firstDone.EndedAt!.Value);
    }

    [Fact]
    public async Task a_waiting_tasks_repository_cache_is_fetched_while_it_waits()
    {
        var (client, credential) = await ProjectWithCredential("ahead", maxConcurrent: 1);
        var first = await client.StartTaskAsync("ahead", credential, "echo first; sleep 5; echo first done");
        await Store.WaitForAsync(first, t => t.Status == AgentTaskStatus.Running);
        // The origin moves after the first task fetched: only a fetch for the second brings the new base.
        var moved = _sandbox.PushToOrigin("AHEAD.md", "ahead\n", "Move the base");

        var second = await client.StartTaskAsync("ahead", credential, "cat AHEAD.md");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!(await Host.Services.LogsAsync(second)).Any(l => l.Message.StartsWith("While waiting for a slot: repository cache fetched in ", StringComparison.Ordinal)))
        {
            DateTime.UtcNow.ShouldBeLessThan(deadline, "the waiting task's repository cache was never fetched");
            await Task.Delay(100);
        }
        await using (var session = Store.QuerySession())
            (await session.LoadAsync<AgentTask>(second))!.Status.ShouldBe(AgentTaskStatus.Pending);
        var cache = Catalyst.Operator.Workspaces.RepositoryCache.PathFor(
            Host.Services.GetRequiredService<Catalyst.Operator.LocalWorkspaceOptions>().RepositoryCacheDirectory!, _sandbox.Origin);
        _sandbox.Git(_sandbox.Root, "--git-dir", cache, "rev-parse", "refs/heads/main").ShouldBe(moved);

        var done = await Store.WaitUntilFinishedAsync(second);
        done.Status.ShouldBe(AgentTaskStatus.Completed, done.Error);
        (await Host.Services.LogsAsync(second)).ShouldContain(l => l.Message == "ahead");
    }

    [Fact]
    public async Task a_failed_task_can_be_retried_as_a_new_linked_task()
    {
        var (client, credential) = await ProjectWithCredential("retry");
        var taskId = await client.StartTaskAsync("retry", credential, "test -f RETRY_OK || { echo 'not yet' >&2; exit 1; }");
        (await Store.WaitUntilFinishedAsync(taskId)).Status.ShouldBe(AgentTaskStatus.Failed);

        var retry = await client.PostFormAsync($"/projects/retry/agents/{taskId}?handler=Retry", new(), formPage: $"/projects/retry/agents/{taskId}");
        retry.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var retryId = Guid.Parse(retry.Headers.Location!.ToString().Split('/').Last());
        retryId.ShouldNotBe(taskId);
        var again = await Store.WaitUntilFinishedAsync(retryId);
        again.RetryOf.ShouldBe(taskId);
        await using var session = Store.QuerySession();
        (await session.LoadAsync<AgentTask>(taskId))!.RetriedAs.ShouldBe(retryId);
    }

    [Fact]
    public async Task bad_task_input_gets_a_400_that_says_what_to_fix()
    {
        var (client, credential) = await ProjectWithCredential("form");
        var empty = await client.PostFormAsync("/projects/form/agents/new", new()
        {
            ["Type"] = "feature-dev", ["Provider"] = ScriptAgent.Name, ["CredentialId"] = credential.ToString(), ["Instructions"] = "  ",
        });
        empty.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await empty.Content.ReadAsStringAsync()).ShouldContain("Write the instructions");

        var wrongProvider = await client.PostFormAsync("/projects/form/agents/new", new()
        {
            ["Type"] = "feature-dev", ["Provider"] = "no-such-agent", ["CredentialId"] = credential.ToString(), ["Instructions"] = "x",
        });
        wrongProvider.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await wrongProvider.Content.ReadAsStringAsync()).ShouldContain("no active agent provider");

        using var bob = await SignedUp("bob-form@example.com");
        var bobs = await bob.AddScriptCredentialAsync(Store, label: "bobs");
        var someoneElses = await client.PostFormAsync("/projects/form/agents/new", new()
        {
            ["Type"] = "feature-dev", ["Provider"] = ScriptAgent.Name, ["CredentialId"] = bobs.ToString(), ["Instructions"] = "x",
        });
        someoneElses.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await someoneElses.Content.ReadAsStringAsync()).ShouldContain("not found among yours");
    }

    private async Task WaitForLog(Guid taskId, string text)
    {
        for (var i = 0; i < 100; i++)
        {
            if ((await Host.Services.LogsAsync(taskId)).Any(l => l.Message.Contains(text))) return;
            await Task.Delay(100);
        }
        throw new TimeoutException($"No log line “{text}”.");
    }

    /// <summary>Processes still running with this task's workspace in their environment.</summary>
    private static List<int> ProcessesOf(Guid taskId)
    {
        var found = new List<int>();
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                if (File.ReadAllText(Path.Combine(dir, "environ")).Contains(taskId.ToString())) found.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return found;
    }
}
