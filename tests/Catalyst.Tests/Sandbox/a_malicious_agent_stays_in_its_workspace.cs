using System.Net;
using Catalyst.Credentials;
using Catalyst.Tasks.Domain;
using Catalyst.Tasks.Logs;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Tasks;
using Catalyst.Tests.Workspaces;
using Microsoft.Extensions.DependencyInjection;
using Marten;
using Npgsql;

namespace Catalyst.Tests.Sandbox;

/// <summary>
/// An agent is arbitrary code: tried as an attacker would from inside a workspace (the agent, a pre-hook, a post-hook)
/// while another user's agent runs, every way out fails for the reason that shows the boundary held, and neither user's
/// key appears anywhere the attacker can look.
/// </summary>
[Trait("Category", "Sandbox")]
public sealed class a_malicious_agent_stays_in_its_workspace(AppFixture fixture, TestDatabase database) : IntegrationContext(fixture)
{
    private const string OwnKey = "sk-attacker-own-4b1d7e29c8a0f365";
    private const string OtherKey = "sk-victim-key-9e02c4a7d1b35f88";
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();
    private readonly ProbeRun _probe = new();

    public override ValueTask DisposeAsync()
    {
        _probe.Dispose();
        _sandbox.Dispose();
        return base.DisposeAsync();
    }

    [Fact]
    public async Task every_way_out_fails_from_the_agent_and_from_its_hooks_and_no_key_is_found()
    {
        // A victim with an agent running while the attacker probes.
        using var victim = await SignedUp("victim@example.com");
        await victim.CreateProjectAsync("victim", _sandbox.Origin);
        var victimCredential = await victim.AddScriptCredentialAsync(Store, OtherKey);
        var victimTask = await victim.StartTaskAsync("victim", victimCredential, "echo 'victim at work'; sleep 120");
        await Store.WaitForAsync(victimTask, t => t.Status == AgentTaskStatus.Running);
        var victimWorkspace = Path.Combine(Fixture.DataDirectory, "workspaces", victimTask.ToString());
        Directory.Exists(Path.Combine(victimWorkspace, "repo")).ShouldBeTrue();

        var broker = Host.Services.GetRequiredService<LlmBrokerEndpoint>();
        var postgres = new NpgsqlConnectionStringBuilder(await database.CreateDatabaseAsync("catalyst_probe")).Host!;
        var probe = _probe.Command(Fixture.DataDirectory, postgres, victimWorkspace, broker.Url.Port);

        using var attacker = await SignedUp("attacker@example.com");
        var created = await attacker.PostFormAsync("/projects/new", new()
        {
            ["Form.Name"] = "Attack", ["Form.Slug"] = "attack", ["Form.RepositoryUrl"] = _sandbox.Origin, ["Form.DefaultBranch"] = "main",
            ["Form.TimeoutSeconds"] = "120", ["Form.MaxConcurrentTasks"] = "2",
            ["Form.PreHooks"] = $"echo '== pre-hook'; {probe}", ["Form.PostHooks"] = $"echo '== post-hook'; {probe}",
        });
        created.StatusCode.ShouldBe(HttpStatusCode.Redirect, await created.Content.ReadAsStringAsync());
        var credential = await attacker.AddScriptCredentialAsync(Store, OwnKey);
        var taskId = await attacker.StartTaskAsync("attack", credential, $"echo '== agent'; {probe}");

        var task = await Store.WaitUntilFinishedAsync(taskId, 120);
        var logs = await Host.Services.LogsAsync(taskId);
        task.Status.ShouldBe(AgentTaskStatus.Completed, $"{task.Error}\n{string.Join("\n", logs.Select(l => l.Message))}");

        var messages = logs.Select(l => l.Message).ToList();
        var agent = messages.SkipWhile(m => m != "== agent").TakeWhile(m => m != "== post-hook").ToList();
        var pre = logs.Where(l => l.Kind == TaskLogKinds.Hook).Select(l => l.Message).SkipWhile(m => m != "== pre-hook").TakeWhile(m => m != "== post-hook").ToList();
        var post = logs.Where(l => l.Kind == TaskLogKinds.Hook).Select(l => l.Message).SkipWhile(m => m != "== post-hook").ToList();
        ProbeRun.ShouldAllBeBlocked(ProbeRun.Results(agent), "the agent");
        ProbeRun.ShouldAllBeBlocked(ProbeRun.Results(pre), "the pre-hook");
        ProbeRun.ShouldAllBeBlocked(ProbeRun.Results(post), "the post-hook");

        // The dumps (environment, every visible /proc entry, HOME) hold neither key; the victim ran on untouched.
        // The agent's variable held its task token, which the runner keeps out of the log too.
        messages.ShouldContain("SCRIPT_AGENT_KEY=[REDACTED]");
        messages.ShouldNotContain(m => m.Contains("cat_task_"));
        messages.ShouldNotContain(m => m.Contains(OwnKey));
        messages.ShouldNotContain(m => m.Contains(OtherKey));
        messages.ShouldNotContain(m => m.Contains("victim at work"));
        await using (var session = Store.QuerySession())
            (await session.Events.AggregateStreamAsync<AgentTask>(victimTask)).ShouldNotBeNull().Status.ShouldBe(AgentTaskStatus.Running);
        await victim.PostFormAsync($"/projects/victim/agents/{victimTask}?handler=Cancel", new(), formPage: $"/projects/victim/agents/{victimTask}");
    }
}
