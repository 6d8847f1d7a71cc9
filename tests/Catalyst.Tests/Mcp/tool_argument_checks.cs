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

    private static readonly JsonElement Hardened = ToolSchemas.Harden("create_parallel_agent_task", JsonDocument.Parse("""
        {"type":"object","properties":{
          "task_id":{"type":"string"},
          "type":{"type":"string"},
          "status":{"type":["string","null"]},
          "instructions":{"type":"string"},
          "notes":{"type":["string","null"]},
          "page":{"type":"integer"},
          "budget_usd":{"type":["number","null"]},
          "runs":{"type":"array","items":{"type":"object","properties":{"provider":{"type":"string"},"credential":{"type":"string"}}}}},
         "required":["task_id"]}
        """).RootElement);

    private static IReadOnlyList<string> CheckHardened(string arguments)
    {
        var values = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(arguments)!;
        McpSpellings.Normalise(values);
        return ToolArguments.Check(Hardened, values);
    }

    private const string Id = "\"0192f0c4-5b7e-7c3a-9d2e-4f6a8b1c2d3e\"";

    [Fact]
    public void the_hardened_schema_has_limits_enums_anyof_and_no_extra_properties()
    {
        var properties = Hardened.GetProperty("properties");
        Hardened.GetProperty("additionalProperties").GetBoolean().ShouldBeFalse();
        properties.GetProperty("type").GetProperty("enum").GetArrayLength().ShouldBe(4);
        properties.GetProperty("status").GetProperty("anyOf")[0].GetProperty("enum").GetArrayLength().ShouldBe(9);
        properties.GetProperty("status").GetProperty("anyOf")[1].GetProperty("type").GetString().ShouldBe("null");
        properties.GetProperty("page").GetProperty("maximum").GetInt32().ShouldBe(100_000);
        properties.GetProperty("runs").GetProperty("items").GetProperty("additionalProperties").GetBoolean().ShouldBeFalse();
    }

    [Fact]
    public void control_characters_are_refused_and_line_breaks_only_where_text_spans_lines()
    {
        CheckHardened($$"""{"task_id":{{Id}},"instructions":"line one\nline two\tend"}""").ShouldBeEmpty();
        CheckHardened($$"""{"task_id":{{Id}},"instructions":"nul\u0000here"}""")
            .ShouldBe(["“instructions” contains a NUL character; send plain text (line breaks and tabs are fine)."]);
        CheckHardened($$"""{"task_id":{{Id}},"runs":[{"provider":"a\nb","credential":"w"},{"provider":"x","credential":"w"}]}""")
            .ShouldBe(["“runs[0].provider” contains a control character (U+000A); send plain text on one line."]);
        CheckHardened($$"""{"task_id":{{Id}},"notes":"broken \ud800 surrogate"}""").ShouldHaveSingleItem().ShouldContain("lone surrogate");
    }

    [Fact]
    public void lengths_ranges_and_counts_are_checked_with_what_to_send()
    {
        CheckHardened($$"""{"task_id":{{Id}},"notes":"{{new string('n', 10_001)}}"}""")
            .ShouldBe(["“notes” is 10,001 characters long; keep it to 10,000 characters or fewer."]);
        CheckHardened($$"""{"task_id":{{Id}},"page":0}""").ShouldBe(["“page” must be between 1 and 100,000; 0 is not."]);
        CheckHardened($$"""{"task_id":{{Id}},"page":1e30}""").ShouldBe(["“page” must be a whole number between 1 and 100,000."]);
        CheckHardened($$"""{"task_id":{{Id}},"budget_usd":-5}""").ShouldBe(["“budget_usd” must be above 0 and at most 1,000,000; -5 is not."]);
        CheckHardened($$"""{"task_id":{{Id}},"runs":[{"provider":"a","credential":"w"}]}""").ShouldBe(["“runs” has 1 item; give 2 to 5 items."]);
    }

    [Fact]
    public void nested_objects_are_checked_field_by_field()
    {
        CheckHardened($$"""{"task_id":{{Id}},"runs":[{"provider":"a","credential":"w"},{"provider":"b"}]}""").ShouldBe(["“runs[1].credential” is required."]);
        CheckHardened($$"""{"task_id":{{Id}},"runs":[{"provider":"a","credential":"w","model":"x"},{"provider":3,"credential":"w"}]}""")
            .ShouldBe(["“runs[0].model” is not a field here; the fields are provider, credential.", "“runs[1].provider” must be a string."]);
        CheckHardened($$"""{"task_id":{{Id}},"runs":["claude-code","codex-cli"]}""").ShouldBe(["“runs[0]” must be an object.", "“runs[1]” must be an object."]);
    }

    [Fact]
    public void ids_must_be_uuids_and_never_all_zeros()
    {
        CheckHardened("""{"task_id":"00000000-0000-0000-0000-000000000000"}""").ShouldHaveSingleItem().ShouldContain("all-zero UUID");
        CheckHardened("""{"task_id":"{0192f0c4-5b7e-7c3a-9d2e-4f6a8b1c2d3e}"}""").ShouldBe(["“task_id” must be a UUID such as 0192f0c4-5b7e-7c3a-9d2e-4f6a8b1c2d3e, as the tools return it."]);
    }

    [Fact]
    public void old_spellings_of_closed_sets_are_accepted_as_aliases()
    {
        CheckHardened($$"""{"task_id":{{Id}},"status":"awaiting approval","type":"Feature_Dev"}""").ShouldBeEmpty();
        CheckHardened($$"""{"task_id":{{Id}},"status":"done"}""")
            .ShouldBe(["“status” must be one of pending, provisioning, running, awaiting-approval, awaiting-choice, completed, failed, cancelled, timeout; “done” is not."]);
        CheckHardened($$"""{"task_id":{{Id}},"status":null}""").ShouldBeEmpty();
    }
}
