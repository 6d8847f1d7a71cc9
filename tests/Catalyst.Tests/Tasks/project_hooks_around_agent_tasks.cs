using System.Net;
using Catalyst.Contracts;
using Catalyst.Tasks;
using Catalyst.Tasks.Domain;
using Catalyst.Tasks.Logs;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Workspaces;

namespace Catalyst.Tests.Tasks;

/// <summary>A project's hooks run around the agent of every task on it; what they print and how they end shows on the task.</summary>
public sealed class project_hooks_around_agent_tasks(AppFixture fixture) : IntegrationContext(fixture), IDisposable
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();

    public void Dispose() => _sandbox.Dispose();

    private async Task<(PageClient Client, Guid Credential)> ProjectWithHooks(string slug, string pre, string post, int timeoutSeconds = 120)
    {
        var client = await SignedUp($"{slug}@example.com");
        var response = await client.PostFormAsync("/projects/new", new()
        {
            ["Form.Name"] = $"Project {slug}", ["Form.Slug"] = slug, ["Form.RepositoryUrl"] = _sandbox.Origin, ["Form.DefaultBranch"] = "main",
            ["Form.TimeoutSeconds"] = timeoutSeconds.ToString(), ["Form.MaxConcurrentTasks"] = "2",
            ["Form.PreHooks"] = pre, ["Form.PostHooks"] = post,
        });
        response.StatusCode.ShouldBe(HttpStatusCode.Redirect, await response.Content.ReadAsStringAsync());
        return (client, await client.AddScriptCredentialAsync(Store));
    }

    private static int IndexOf(IReadOnlyList<AgentTaskLog> logs, string message, string kind)
    {
        var index = logs.ToList().FindIndex(l => l.Message == message && l.Kind == kind);
        index.ShouldBeGreaterThanOrEqualTo(0, $"no {kind} line “{message}” in the log");
        return index;
    }

    [Fact]
    public async Task pre_hook_output_is_in_the_task_log_in_order_before_the_agents()
    {
        var (client, credential) = await ProjectWithHooks("prelog", "echo 'installing dependencies'\n\necho 'warning: peer dependency' >&2; echo 'installed 3 packages'", "");
        var taskId = await client.StartTaskAsync("prelog", credential, "echo 'agent at work'");

        var task = await Store.WaitUntilFinishedAsync(taskId);
        task.Status.ShouldBe(AgentTaskStatus.Completed, task.Error);
        var logs = await Host.Services.LogsAsync(taskId);
        int[] order =
        [
            IndexOf(logs, "pre-hook 1/2: echo 'installing dependencies'", TaskLogKinds.System),
            IndexOf(logs, "installing dependencies", TaskLogKinds.Hook),
            IndexOf(logs, "pre-hook 2/2: echo 'warning: peer dependency' >&2; echo 'installed 3 packages'", TaskLogKinds.System),
            IndexOf(logs, "warning: peer dependency", TaskLogKinds.Hook),
            IndexOf(logs, "installed 3 packages", TaskLogKinds.Hook),
            IndexOf(logs, "agent started: bash", TaskLogKinds.System),
            IndexOf(logs, "agent at work", TaskLogKinds.AgentMessage),
        ];
        order.ShouldBe(order.Order().ToArray());

        (await client.GetHtmlAsync($"/projects/prelog/agents/{taskId}")).ShouldContain("kind-hook");
    }

    [Fact]
    public async Task a_failing_pre_hook_fails_the_task_and_the_agent_never_runs()
    {
        var (client, credential) = await ProjectWithHooks("prefail",
            "echo 'resolving'; echo 'npm ERR! missing lockfile' >&2; exit 3\necho 'second pre-hook'", "echo 'post-hook ran'");
        var taskId = await client.StartTaskAsync("prefail", credential, """
            echo "AGENT-MARKER"
            echo changed > agent.txt
            git add agent.txt && git commit -qm "Agent commit"
            """);

        var task = await Store.WaitUntilFinishedAsync(taskId);
        task.Status.ShouldBe(AgentTaskStatus.Failed);
        task.Error.ShouldBe("Pre-hook 1 (`echo 'resolving'; echo 'npm ERR! missing lockfile' >&2; exit 3`) failed with exit code 3:\nresolving\nnpm ERR! missing lockfile");
        task.StartedAt.ShouldBeNull();
        task.ExitCode.ShouldBeNull();
        task.Commits.ShouldBeEmpty();
        _sandbox.OriginBranch(task.WorkBranch).ShouldBeNull();

        var logs = await Host.Services.LogsAsync(taskId);
        logs.ShouldNotContain(l => l.Message.Contains("AGENT-MARKER"));
        logs.ShouldNotContain(l => l.Message.Contains("second pre-hook") && l.Kind == TaskLogKinds.Hook);
        logs.ShouldNotContain(l => l.Message.Contains("post-hook ran"));
        logs.Last().Message.ShouldStartWith("Task ended failed: Pre-hook 1 (`echo 'resolving';");

        var page = await client.GetHtmlAsync($"/projects/prefail/agents/{taskId}");
        page.ShouldContain("Pre-hook 1 (`echo &#x27;resolving&#x27;;");
        page.ShouldContain("npm ERR! missing lockfile");
    }

    [Fact]
    public async Task a_failing_post_hook_leaves_the_task_completed_with_its_commit_and_says_so_on_the_task()
    {
        var (client, credential) = await ProjectWithHooks("postfail", "", "echo 'running lint'; echo 'lint: 2 problems' >&2; exit 4\necho 'never run'");
        var taskId = await client.StartTaskAsync("postfail", credential, """
            echo fixed >> README.md
            git commit -qam "Fix the README"
            """);

        var task = await Store.WaitUntilFinishedAsync(taskId);
        task.Status.ShouldBe(AgentTaskStatus.Completed, task.Error);
        task.Error.ShouldBeNull();
        task.Commits.Select(c => c.Message).ShouldBe(["Fix the README"]);
        task.BranchPushed.ShouldBeTrue();
        _sandbox.OriginBranch(task.WorkBranch).ShouldBe(task.Commits[0].Sha);
        task.PostHookFailure.ShouldBe(new HookFailure(HookPhase.Post, 1, "echo 'running lint'; echo 'lint: 2 problems' >&2; exit 4", 4, "running lint\nlint: 2 problems"));

        var logs = await Host.Services.LogsAsync(taskId);
        logs.ShouldContain(l => l.Level == TaskLogLevel.Warn && l.Message.StartsWith("Post-hook 1 (`echo 'running lint';") && l.Message.Contains("exit code 4"));
        logs.ShouldNotContain(l => l.Message == "never run");

        var page = await client.GetHtmlAsync($"/projects/postfail/agents/{taskId}");
        page.ShouldContain("id=\"task-post-hook\"");
        page.ShouldContain("lint: 2 problems");
        page.ShouldContain("Post-hook failed");
        page.ShouldContain("Fix the README");

        // What MCP's get_agent_task returns: the view and the timeline.
        var details = (await Invoke<AgentTaskDetails?>(new GetAgentTask(await UserId("postfail@example.com"), taskId))).ShouldNotBeNull();
        details.Task.PostHookFailure.ShouldBe(task.PostHookFailure);
        details.Timeline.ShouldContain(e => e.Title == "Post-hook failed" && e.Detail!.Contains("exited with code 4"));
    }

    [Fact]
    public async Task hooks_cannot_read_the_agents_key_and_it_never_reaches_the_log()
    {
        var (client, credential) = await ProjectWithHooks("hookkey",
            $"echo \"pre sees [${{{ScriptAgent.KeyVariable}:-}}]\"; env | grep -c '^{ScriptAgent.KeyVariable}=' || true",
            $"echo \"post sees [${{{ScriptAgent.KeyVariable}:-}}]\"; printenv {ScriptAgent.KeyVariable} || echo 'post: no such variable'");
        var taskId = await client.StartTaskAsync("hookkey", credential,
            $"case \"${ScriptAgent.KeyVariable}\" in cat_task_*) echo 'agent holds a task token of '${{#{ScriptAgent.KeyVariable}}}' characters';; *) echo 'agent holds something else';; esac");

        var task = await Store.WaitUntilFinishedAsync(taskId);
        task.Status.ShouldBe(AgentTaskStatus.Completed, task.Error);
        var logs = await Host.Services.LogsAsync(taskId);
        var hookLines = logs.Where(l => l.Kind == TaskLogKinds.Hook).Select(l => l.Message).ToList();
        hookLines.ShouldBe(["pre sees []", "0", "post sees []", "post: no such variable"]);
        // Not even the agent holds the key: a task token of 256 random bits, which only the broker takes.
        logs.ShouldContain(l => l.Message == "agent holds a task token of 52 characters");
        logs.ShouldNotContain(l => l.Message.Contains(TaskSteps.Key));
    }

    [Fact]
    public async Task a_hanging_pre_hook_is_stopped_by_cancel()
    {
        var (client, credential) = await ProjectWithHooks("prehang", "echo 'waiting for a lock'; sleep 300", "");
        var taskId = await client.StartTaskAsync("prehang", credential, "echo 'AGENT-MARKER'");
        await WaitForLog(taskId, "waiting for a lock");

        var cancel = await client.PostFormAsync($"/projects/prehang/agents/{taskId}?handler=Cancel", new(), formPage: $"/projects/prehang/agents/{taskId}");
        cancel.StatusCode.ShouldBe(HttpStatusCode.Redirect);

        var task = await Store.WaitUntilFinishedAsync(taskId, 30);
        task.Status.ShouldBe(AgentTaskStatus.Cancelled);
        task.StartedAt.ShouldBeNull();
        (await Host.Services.LogsAsync(taskId)).ShouldNotContain(l => l.Message.Contains("AGENT-MARKER"));
        ProcessTable.OfTask(taskId).ShouldBeEmpty();
    }

    [Fact]
    public async Task a_hanging_pre_hook_is_stopped_at_the_projects_time_limit()
    {
        var (client, credential) = await ProjectWithHooks("preslow", "echo 'compiling the world'; sleep 300", "", timeoutSeconds: 5);
        var taskId = await client.StartTaskAsync("preslow", credential, "echo 'AGENT-MARKER'");

        var task = await Store.WaitUntilFinishedAsync(taskId, 40);
        task.Status.ShouldBe(AgentTaskStatus.TimedOut);
        task.Error!.ShouldContain("5 s");
        (await Host.Services.LogsAsync(taskId)).ShouldNotContain(l => l.Message.Contains("AGENT-MARKER"));
        ProcessTable.OfTask(taskId).ShouldBeEmpty();
    }

    private async Task WaitForLog(Guid taskId, string text)
    {
        for (var i = 0; i < 150; i++)
        {
            if ((await Host.Services.LogsAsync(taskId)).Any(l => l.Message.Contains(text))) return;
            await Task.Delay(100);
        }
        throw new TimeoutException($"No log line “{text}”.");
    }
}
