using System.Net;
using Catalyst.Tasks.Domain;
using Catalyst.Tasks.Logs;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Tasks;
using Catalyst.Tests.Workspaces;

namespace Catalyst.Tests.Sandbox;

/// <summary>
/// Hooks run in sandboxes of their own where no process holds the task token, and the token dies when the agent exits:
/// a post-hook that finds it where the agent's CLI stored it gets the broker's 401.
/// </summary>
[Trait("Category", "Sandbox")]
public sealed class hooks_never_hold_the_task_token(AppFixture fixture) : IntegrationContext(fixture)
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();

    public override ValueTask DisposeAsync()
    {
        _sandbox.Dispose();
        return base.DisposeAsync();
    }

    private const string Call =
        "curl -s -o /dev/null -w '%{http_code}' -X POST -H 'content-type: application/json' -H \"x-api-key: $(cat \"$CATALYST_WORKSPACE/home/stored-token\" 2>/dev/null || printf %s \"${SCRIPT_AGENT_KEY:-none}\")\" -d '{\"model\":\"m\",\"messages\":[]}' http://127.0.0.1:8400/v1/messages";

    [Fact]
    public async Task a_pre_hook_finds_no_token_and_a_post_hook_finds_it_revoked()
    {
        using var ada = await SignedUp("ada@example.com");
        var created = await ada.PostFormAsync("/projects/new", new()
        {
            ["Form.Name"] = "Hooks", ["Form.Slug"] = "hooks", ["Form.RepositoryUrl"] = _sandbox.Origin, ["Form.DefaultBranch"] = "main",
            ["Form.TimeoutSeconds"] = "120", ["Form.MaxConcurrentTasks"] = "2",
            ["Form.PreHooks"] = "echo \"pre: tokens in sight $(cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | grep -c cat_task_)\"",
            ["Form.PostHooks"] = $"echo \"post: broker says $({Call})\"",
        });
        created.StatusCode.ShouldBe(HttpStatusCode.Redirect, await created.Content.ReadAsStringAsync());
        var credential = await ada.AddScriptCredentialAsync(Store);
        // The agent keeps its token in HOME, as a CLI's login step does, and uses it: the broker takes it (and answers
        // 502, as the vendor behind this credential is not there).
        var taskId = await ada.StartTaskAsync("hooks", credential, $"printf %s \"$SCRIPT_AGENT_KEY\" > \"$HOME/stored-token\"; echo \"agent: broker says $({Call})\"");

        var task = await Store.WaitUntilFinishedAsync(taskId);
        var logs = (await Host.Services.LogsAsync(taskId)).Select(l => l.Message).ToList();
        task.Status.ShouldBe(AgentTaskStatus.Completed, $"{task.Error}\n{string.Join("\n", logs)}");
        logs.ShouldContain("pre: tokens in sight 0");
        logs.ShouldContain("agent: broker says 502");
        logs.ShouldContain("post: broker says 401");
    }
}
