using System.Text.Json;
using Catalyst.Tests.Infrastructure;

namespace Catalyst.Tests.Mcp;

public sealed class mcp_tools_describe_themselves(BrowserFixture fixture) : McpContext(fixture)
{
    private static readonly Dictionary<string, string[]> RequiredArguments = new()
    {
        ["list_projects"] = [],
        ["create_project"] = ["name", "slug", "repository_url"],
        ["list_agent_providers"] = [],
        ["get_agent_provider"] = ["name"],
        ["create_agent_task"] = ["project", "type", "instructions", "provider", "credential"],
        ["get_agent_task"] = ["task_id"],
        ["list_agent_tasks"] = ["project"],
        ["cancel_agent_task"] = ["task_id"],
        ["retry_agent_task"] = ["task_id"],
        ["get_agent_task_logs"] = ["task_id"],
        ["approve_agent_plan"] = ["task_id"],
        ["reject_agent_plan"] = ["task_id"],
        ["create_parallel_agent_task"] = ["project", "type", "instructions", "runs"],
        ["choose_agent_run"] = ["task_id", "run_id"],
    };

    [Fact]
    public async Task every_tool_is_listed_with_a_description_and_described_arguments()
    {
        var person = await SignedUpWithToken();
        await using var client = await Connect(person);
        var tools = await client.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken);

        tools.Select(t => t.Name).Order().ShouldBe(RequiredArguments.Keys.Order());
        foreach (var tool in tools.Select(t => t.ProtocolTool))
        {
            tool.Description.ShouldNotBeNullOrWhiteSpace(tool.Name);
            var input = tool.InputSchema;
            input.GetProperty("type").GetString().ShouldBe("object", tool.Name);
            var properties = input.TryGetProperty("properties", out var p) ? p.EnumerateObject().ToList() : [];
            foreach (var argument in properties)
            {
                argument.Value.TryGetProperty("description", out var description).ShouldBeTrue($"{tool.Name}.{argument.Name} has no description");
                description.GetString().ShouldNotBeNullOrWhiteSpace();
            }
            // Who is asking comes from the token, never from an argument.
            properties.Select(a => a.Name).ShouldNotContain("user_id");
            properties.Select(a => a.Name).ShouldNotContain("user");
            var required = input.TryGetProperty("required", out var r) ? r.EnumerateArray().Select(e => e.GetString()!).Order().ToList() : [];
            required.ShouldBe(RequiredArguments[tool.Name].Order().ToList(), tool.Name);

            tool.OutputSchema.ShouldNotBeNull($"{tool.Name} has no output schema");
            tool.OutputSchema.Value.GetProperty("type").GetString().ShouldBe("object", tool.Name);
        }
    }

    [Fact]
    public async Task the_log_tool_takes_level_time_range_sequence_and_limit()
    {
        var person = await SignedUpWithToken();
        await using var client = await Connect(person);
        var logs = (await client.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken)).Single(t => t.Name == "get_agent_task_logs").ProtocolTool;
        var properties = logs.InputSchema.GetProperty("properties");
        properties.GetProperty("level").GetProperty("description").GetString()!.ShouldContain("warn");
        properties.GetProperty("since").GetProperty("description").GetString()!.ShouldContain("ISO 8601");
        properties.GetProperty("until").ValueKind.ShouldBe(JsonValueKind.Object);
        properties.GetProperty("after_sequence").GetProperty("type").ToString().ShouldContain("integer");
        properties.GetProperty("limit").GetProperty("default").GetInt32().ShouldBe(200);

        var output = logs.OutputSchema!.Value.GetProperty("properties");
        output.TryGetProperty("lines", out _).ShouldBeTrue();
        output.TryGetProperty("last_sequence", out _).ShouldBeTrue();
        output.TryGetProperty("task_finished", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task read_only_tools_say_so()
    {
        var person = await SignedUpWithToken();
        await using var client = await Connect(person);
        var tools = (await client.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken)).ToDictionary(t => t.Name, t => t.ProtocolTool);
        foreach (var name in new[] { "list_projects", "list_agent_providers", "get_agent_provider", "get_agent_task", "list_agent_tasks", "get_agent_task_logs" })
            tools[name].Annotations?.ReadOnlyHint.ShouldBe(true, name);
        tools["cancel_agent_task"].Annotations?.DestructiveHint.ShouldBe(true);
        tools["create_agent_task"].Annotations?.ReadOnlyHint.ShouldNotBe(true);
    }
}
