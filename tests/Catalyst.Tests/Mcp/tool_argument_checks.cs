using System.Text.Json;
using Catalyst.Host.Mcp;

namespace Catalyst.Tests.Mcp;

/// <summary>The pure check that turns a schema mismatch into a sentence naming the argument.</summary>
public sealed class tool_argument_checks
{
    private static readonly JsonElement Schema = JsonDocument.Parse("""
        {"type":"object","properties":{
          "project":{"type":"string"},
          "limit":{"type":"integer","default":25},
          "status":{"type":["string","null"]},
          "all":{"type":"boolean"}},
         "required":["project"]}
        """).RootElement;

    private static IReadOnlyList<string> Check(string arguments) =>
        ToolArguments.Check(Schema, JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(arguments));

    [Fact]
    public void arguments_that_fit_pass() => Check("""{"project":"web","limit":10,"status":null,"all":true}""").ShouldBeEmpty();

    [Fact]
    public void a_missing_or_null_required_argument_is_named()
    {
        Check("{}").ShouldBe(["“project” is required."]);
        Check("""{"project":null}""").ShouldContain("“project” is required.");
    }

    [Fact]
    public void a_wrong_type_is_named_with_the_type_expected()
    {
        Check("""{"project":"web","limit":"ten"}""").ShouldBe(["“limit” must be an integer."]);
        Check("""{"project":"web","limit":2.5}""").ShouldBe(["“limit” must be an integer."]);
        Check("""{"project":"web","status":3}""").ShouldBe(["“status” must be a string (or left out)."]);
        Check("""{"project":"web","all":"yes"}""").ShouldBe(["“all” must be a boolean."]);
    }

    [Fact]
    public void an_unknown_argument_lists_the_real_ones() =>
        Check("""{"project":"web","project_slug":"web"}""").ShouldBe(["There is no argument “project_slug”; the arguments are project, limit, status, all."]);
}
