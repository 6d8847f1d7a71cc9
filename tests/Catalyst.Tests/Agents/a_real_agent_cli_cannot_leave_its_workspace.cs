using Catalyst.Credentials;
using Catalyst.Tasks.Domain;
using Catalyst.Tasks.Logs;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Sandbox;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Catalyst.Tests.Agents;

/// <summary>
/// The real CLIs, steered by the model into running the attacker's probe as their shell tool: every way out of the
/// workspace fails, and what the agent sends back to the model (everything it found) holds no key.
/// </summary>
[Trait("Category", "Sandbox")]
public sealed class a_real_agent_cli_cannot_leave_its_workspace(AgentsHostFixture fixture) : AgentTaskContext(fixture)
{
    [Theory]
    [InlineData("claude-code", "claude")]
    [InlineData("codex-cli", "codex")]
    public async Task the_probe_run_as_the_agents_tool_call_finds_every_door_shut(string provider, string program)
    {
        AgentClis.Require(program);
        using var probe = new ProbeRun();
        // Another task's workspace on the Host's disk, with something worth stealing in it.
        var other = Path.Combine(Fixture.DataDirectory, "workspaces", Guid.NewGuid().ToString());
        Directory.CreateDirectory(Path.Combine(other, "repo"));
        await File.WriteAllTextAsync(Path.Combine(other, "repo", "secret.txt"), "another user's code");
        await using var model = await Fixture.ModelAsync();
        model.CommandOverride = probe.Command(
            Fixture.DataDirectory, new NpgsqlConnectionStringBuilder(Fixture.Connection).Host!, other,
            Host.Services.GetRequiredService<LlmBrokerEndpoint>().Url.Port);

        var taskId = await StartAsync(provider, model);

        var task = await FinishedAsync(taskId);
        var logs = await LogsAsync(taskId);
        task.Status.ShouldBe(AgentTaskStatus.Completed, $"{task.Error}\n{Describe(logs)}");
        var output = logs.Where(l => l.Kind == TaskLogKinds.ToolResult).SelectMany(l => l.Message.Split('\n')).ToList();
        ProbeRun.ShouldAllBeBlocked(ProbeRun.Results(output), provider);

        // What the agent found went back to the model as the tool's result: no key in it, the key only in the vendor header.
        var bodies = string.Join("\n", model.Requests.Select(r => r.Body));
        bodies.ShouldContain("probe key-file: blocked");
        bodies.ShouldNotContain(Key);
        bodies.ShouldNotContain("another user's code");
        model.KeysSeen().ShouldAllBe(k => k.Value == Key);
        logs.ShouldNotContain(l => l.Message.Contains(Key));
    }
}
