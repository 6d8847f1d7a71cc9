using System.Text.Json;
using Catalyst.Tests.Infrastructure;
using ModelContextProtocol;
using ModelContextProtocol.Client;

namespace Catalyst.Tests.Mcp;

/// <summary>
/// Table-driven fuzzing of every MCP tool: the tools and their arguments are read from tools/list, so a new tool or argument
/// is covered at once. Each argument in turn gets each bad value of its type while the others keep good ones. No call may end
/// in a protocol error or the SDK's generic "An error occurred invoking"; a value outside the schema is a tool error that names
/// the argument.
/// </summary>
public sealed class every_tool_argument_survives_bad_input(BrowserFixture fixture) : McpContext(fixture)
{
    private sealed record Mutation(string Name, object? Value, bool Refused);

    private static IEnumerable<Mutation> Mutations(JsonElement schema, bool required)
    {
        var (type, limits) = Describe(schema);
        var nullable = schema.TryGetProperty("anyOf", out _);
        yield return new("extra nesting", new Dictionary<string, object?> { ["nested"] = new[] { 1, 2 } }, type != "object");
        if (!nullable) yield return new("null", null, true);
        switch (type)
        {
            case "string":
                var max = limits.TryGetProperty("maxLength", out var m) ? m.GetInt32() : 1000;
                yield return new("number", 12345, true);
                yield return new("NUL", "a\0b", true);
                yield return new("bell", "a\u0007b", true);
                yield return new("escape", "\u001b[2J", true);
                yield return new("too long", new string('x', max + 1), true);
                var closed = limits.TryGetProperty("enum", out _);
                var format = limits.TryGetProperty("format", out var f) ? f.GetString() : null;
                yield return new("unicode", "Zoë ✓ 𝄞 日本語", closed || format is not null);
                yield return new("empty", "", closed || format == "uuid" || limits.TryGetProperty("minLength", out var min) && min.GetInt32() > 0);
                yield return new("all-zero id", "00000000-0000-0000-0000-000000000000", closed || format is not null);
                yield return new("option", "-x", limits.TryGetProperty("enum", out _) || limits.TryGetProperty("format", out _));
                break;
            case "integer" or "number":
                yield return new("text", "ten", true);
                yield return new("negative", -1, !(limits.TryGetProperty("minimum", out var lo) && lo.GetDouble() <= -1));
                yield return new("huge", 1e30, true);
                yield return new("long max", long.MaxValue, true);
                if (type == "integer") yield return new("fraction", 2.5, true);
                break;
            case "boolean":
                yield return new("text", "yes", true);
                yield return new("number", 1, true);
                break;
            case "array":
                yield return new("text", "claude-code", true);
                yield return new("empty", Array.Empty<object>(), true);
                yield return new("too many", Enumerable.Range(0, 50).Select(_ => new Dictionary<string, object?> { ["provider"] = "a", ["credential"] = "b" }).ToArray(), true);
                yield return new("items of the wrong type", new[] { "a", "b" }, true);
                yield return new("items with an extra field", new[] { Run(), Run() }.Select(r => new Dictionary<string, object?>(r) { ["model"] = "x" }).ToArray(), true);
                yield return new("items with a NUL", new[] { new Dictionary<string, object?> { ["provider"] = "a\0", ["credential"] = "b" }, Run() }, true);
                break;
        }
    }

    private static Dictionary<string, object?> Run() => new() { ["provider"] = ScriptAgent.Name, ["credential"] = "nope" };

    private static (string Type, JsonElement Limits) Describe(JsonElement schema)
    {
        if (schema.TryGetProperty("anyOf", out var anyOf))
            schema = anyOf.EnumerateArray().First(b => b.GetProperty("type").GetString() != "null");
        return (schema.TryGetProperty("type", out var t) ? t.GetString()! : "any", schema);
    }

    [Fact]
    public async Task no_bad_argument_of_any_tool_gives_a_protocol_error_or_a_generic_message()
    {
        var ada = await SignedUpWithToken("ada");
        await using var client = await Connect(ada);
        await AddCredential(ada);
        var project = await NewRepositoryProject(client);
        var task = await StartTask(client, project, "exit 0");
        await WaitForStatus(client, task, "completed", "failed");

        // Good values by argument name; the credential does not exist, so no call with good values starts an agent.
        var good = new Dictionary<string, object?>
        {
            ["project"] = project, ["task_id"] = task.ToString(), ["run_id"] = Guid.NewGuid().ToString(), ["type"] = "feature-dev",
            ["instructions"] = "exit 0", ["provider"] = ScriptAgent.Name, ["credential"] = "nope", ["name"] = "Fuzzed",
            ["slug"] = "fuzzed", ["repository_url"] = "https://example.com/acme/app.git", ["runs"] = new[] { Run(), Run() },
        };

        var tools = await client.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken);
        tools.Count.ShouldBeGreaterThanOrEqualTo(15);
        var failures = new List<string>();
        var calls = 0;
        foreach (var tool in tools.Select(t => t.ProtocolTool))
        {
            var properties = tool.InputSchema.GetProperty("properties").EnumerateObject().ToList();
            var required = tool.InputSchema.TryGetProperty("required", out var r) ? r.EnumerateArray().Select(e => e.GetString()!).ToHashSet() : [];
            var baseline = required.ToDictionary(n => n, n => good.GetValueOrDefault(n, "x"));

            var withExtra = new Dictionary<string, object?>(baseline) { ["unexpected_argument"] = 1 };
            failures.AddRange(await Try(client, tool.Name, "an extra argument", "unexpected_argument", withExtra, refused: true));
            calls++;

            foreach (var property in properties)
            {
                foreach (var mutation in Mutations(property.Value, required.Contains(property.Name)))
                {
                    var arguments = new Dictionary<string, object?>(baseline) { [property.Name] = mutation.Value };
                    failures.AddRange(await Try(client, tool.Name, mutation.Name, property.Name, arguments, mutation.Refused));
                    calls++;
                }
            }
        }

        calls.ShouldBeGreaterThan(200);
        failures.ShouldBeEmpty(string.Join("\n", failures.Take(40)));
    }

    private static async Task<IEnumerable<string>> Try(McpClient client, string tool, string mutation, string argument, Dictionary<string, object?> arguments, bool refused)
    {
        var what = $"{tool}.{argument} = {mutation}";
        try
        {
            var result = await client.CallToolAsync(tool, arguments, cancellationToken: TestContext.Current.CancellationToken);
            var text = Text(result);
            if (text.Contains("An error occurred invoking") || text.Contains("could not be completed because of a fault"))
                return [$"{what}: a generic message: {text}"];
            if (refused && !(result.IsError ?? false)) return [$"{what}: accepted: {text[..Math.Min(200, text.Length)]}"];
            if (refused && !text.Contains($"“{argument}") && !text.Contains("“runs[")) return [$"{what}: the error does not name the argument: {text}"];
            return [];
        }
        catch (McpException e)
        {
            return [$"{what}: a protocol error instead of a tool error: {e.Message}"];
        }
    }
}
