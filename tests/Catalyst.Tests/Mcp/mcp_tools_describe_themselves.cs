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
        ["wait_for_agent_task"] = ["task_id"],
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

    [Fact]
    public async Task every_argument_states_its_limits_and_closed_sets_are_enums()
    {
        var person = await SignedUpWithToken();
        await using var client = await Connect(person);
        var tools = await client.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken);

        foreach (var tool in tools.Select(t => t.ProtocolTool))
        {
            tool.InputSchema.GetProperty("additionalProperties").GetBoolean().ShouldBeFalse(tool.Name);
            foreach (var argument in tool.InputSchema.GetProperty("properties").EnumerateObject())
                Limited($"{tool.Name}.{argument.Name}", argument.Value);
        }

        var create = tools.Single(t => t.Name == "create_agent_task").ProtocolTool.InputSchema.GetProperty("properties");
        create.GetProperty("type").GetProperty("enum").EnumerateArray().Select(e => e.GetString()).ShouldBe(["pr-review", "issue-fix", "feature-dev", "refactor"]);
        create.GetProperty("context").GetProperty("enum").EnumerateArray().Select(e => e.GetString()).ShouldBe(["manual", "pull-request", "issue"]);
        create.GetProperty("instructions").GetProperty("maxLength").GetInt32().ShouldBe(100 * 1024);
        create.GetProperty("context_details").GetProperty("anyOf")[0].GetProperty("maxLength").GetInt32().ShouldBe(64 * 1024);
        var status = tools.Single(t => t.Name == "list_agent_tasks").ProtocolTool.InputSchema.GetProperty("properties").GetProperty("status");
        status.GetProperty("anyOf")[0].GetProperty("enum").EnumerateArray().Select(e => e.GetString()).ShouldContain("awaiting-approval");
        status.GetProperty("anyOf")[1].GetProperty("type").GetString().ShouldBe("null");

        var runs = tools.Single(t => t.Name == "create_parallel_agent_task").ProtocolTool.InputSchema.GetProperty("properties").GetProperty("runs");
        runs.GetProperty("minItems").GetInt32().ShouldBe(2);
        runs.GetProperty("maxItems").GetInt32().ShouldBe(5);
        runs.GetProperty("items").GetProperty("additionalProperties").GetBoolean().ShouldBeFalse();
        runs.GetProperty("items").GetProperty("required").EnumerateArray().Select(e => e.GetString()).Order().ShouldBe(["credential", "provider"]);
    }

    /// <summary>Text has a length limit (or is a closed set), a number a range, a list a count; null is an anyOf branch, never a type array.</summary>
    private static void Limited(string name, JsonElement schema)
    {
        if (schema.TryGetProperty("anyOf", out var anyOf))
        {
            anyOf.EnumerateArray().Count(b => b.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String && t.GetString() == "null").ShouldBe(1, name);
            foreach (var branch in anyOf.EnumerateArray().Where(b => b.GetProperty("type").GetString() != "null")) Limited(name, branch);
            return;
        }
        var type = schema.GetProperty("type");
        type.ValueKind.ShouldBe(JsonValueKind.String, $"{name}: a nullable argument is written as anyOf");
        switch (type.GetString())
        {
            case "string":
                (schema.TryGetProperty("enum", out _) || schema.TryGetProperty("maxLength", out _)).ShouldBeTrue($"{name} has no maxLength or enum");
                break;
            case "integer" or "number":
                (schema.TryGetProperty("minimum", out _) || schema.TryGetProperty("exclusiveMinimum", out _)).ShouldBeTrue($"{name} has no minimum");
                schema.TryGetProperty("maximum", out _).ShouldBeTrue($"{name} has no maximum");
                break;
            case "array":
                schema.TryGetProperty("maxItems", out _).ShouldBeTrue($"{name} has no maxItems");
                var items = schema.GetProperty("items");
                if (items.TryGetProperty("properties", out var fields))
                    foreach (var field in fields.EnumerateObject()) Limited($"{name}[].{field.Name}", field.Value);
                break;
        }
    }

    [Fact]
    public async Task the_server_tells_a_connecting_client_the_workflow()
    {
        var person = await SignedUpWithToken();
        await using var client = await Connect(person);
        var instructions = client.ServerInstructions;
        instructions.ShouldNotBeNullOrWhiteSpace();
        instructions.ShouldContain("create_agent_task");
        instructions.ShouldContain("wait_for_agent_task");
        instructions.Split('\n').Length.ShouldBeLessThanOrEqualTo(8);
    }
}
