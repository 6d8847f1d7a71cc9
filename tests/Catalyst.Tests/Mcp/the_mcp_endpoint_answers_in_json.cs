using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Catalyst.Tests.Infrastructure;

namespace Catalyst.Tests.Mcp;

/// <summary>/mcp at the HTTP level: every refusal is JSON an MCP client can read, other sites' pages are kept out, bodies are bounded.</summary>
public sealed class the_mcp_endpoint_answers_in_json(BrowserFixture fixture) : McpContext(fixture)
{
    private const string ListTools = """{"jsonrpc":"2.0","id":7,"method":"tools/list","params":{}}""";

    private async Task<HttpResponseMessage> Send(HttpMethod method, string? token, string? body = null, string contentType = "application/json",
        string? origin = null)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false });
        using var request = new HttpRequestMessage(method, McpEndpoint);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, contentType);
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        request.Headers.TryAddWithoutValidation("MCP-Protocol-Version", "2025-06-18");
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (origin is not null) request.Headers.TryAddWithoutValidation("Origin", origin);
        var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        await response.Content.LoadIntoBufferAsync(TestContext.Current.CancellationToken);
        return response;
    }

    /// <summary>A JSON-RPC error: its code and message.</summary>
    private static async Task<(int Code, string Message)> JsonRpcError(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/json", text);
        text.ShouldNotContain("<html", Case.Insensitive);
        using var json = JsonDocument.Parse(text);
        var error = json.RootElement.GetProperty("error");
        return (error.GetProperty("code").GetInt32(), error.GetProperty("message").GetString()!);
    }

    [Fact]
    public async Task get_delete_and_a_wrong_content_type_are_answered_in_json_not_the_error_page()
    {
        var ada = await SignedUpWithToken();
        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Delete, HttpMethod.Put })
        {
            var response = await Send(method, ada.Token);
            ((int)response.StatusCode).ShouldBeGreaterThanOrEqualTo(400, method.Method);
            (await JsonRpcError(response)).Message.ShouldNotBeNullOrWhiteSpace();
        }

        var form = await Send(HttpMethod.Post, ada.Token, "a=b", "application/x-www-form-urlencoded");
        form.StatusCode.ShouldBe(HttpStatusCode.UnsupportedMediaType);
        (await JsonRpcError(form)).Message.ShouldContain("Content-Type: application/json");

        var anonymous = await Send(HttpMethod.Post, null, ListTools);
        anonymous.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        await JsonRpcError(anonymous);
        var anonymousGet = await Send(HttpMethod.Get, null);
        ((int)anonymousGet.StatusCode).ShouldBeGreaterThanOrEqualTo(400);
        await JsonRpcError(anonymousGet);
    }

    [Fact]
    public async Task another_sites_origin_is_refused_and_the_servers_own_or_none_is_let_in()
    {
        var ada = await SignedUpWithToken();
        var foreign = await Send(HttpMethod.Post, ada.Token, ListTools, origin: "https://evil.example");
        foreign.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await JsonRpcError(foreign)).Message.ShouldContain("Origin");

        var own = await Send(HttpMethod.Post, ada.Token, ListTools, origin: Fixture.BaseAddress.GetLeftPart(UriPartial.Authority));
        own.StatusCode.ShouldBe(HttpStatusCode.OK, await own.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        (await Send(HttpMethod.Post, ada.Token, ListTools)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task a_body_over_the_limit_gets_413_in_json_and_nothing_is_made()
    {
        var ada = await SignedUpWithToken();
        var huge = JsonSerializer.Serialize(new
        {
            jsonrpc = "2.0", id = 1, method = "tools/call",
            @params = new { name = "create_project", arguments = new { name = new string('x', 2 * 1024 * 1024), slug = "huge", repository_url = "https://example.com/a.git" } },
        });
        var response = await Send(HttpMethod.Post, ada.Token, huge);
        response.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
        (await JsonRpcError(response)).Message.ShouldContain("1,048,576 bytes");

        await using var client = await Connect(ada);
        (await Call(client, "list_projects")).GetProperty("projects").GetArrayLength().ShouldBe(0);
    }

    [Fact]
    public async Task arguments_that_are_not_an_object_are_invalid_params()
    {
        var ada = await SignedUpWithToken();
        foreach (var arguments in new[] { "[1,2]", "\"task\"", "42", "true" })
        {
            var call = $$$"""{"jsonrpc":"2.0","id":"call-1","method":"tools/call","params":{"name":"list_projects","arguments":{{{arguments}}}}}""";
            var response = await Send(HttpMethod.Post, ada.Token, call);
            var (code, message) = await JsonRpcError(response);
            code.ShouldBe(-32602, arguments);
            message.ShouldContain("`arguments` must be an object");
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
            json.RootElement.GetProperty("id").GetString().ShouldBe("call-1");
        }
    }

    [Fact]
    public async Task text_content_is_plain_utf8_json()
    {
        var ada = await SignedUpWithToken();
        await using var client = await Connect(ada);
        var slug = $"u-{Guid.NewGuid():N}"[..12];
        var result = await client.CallToolAsync("create_project", new Dictionary<string, object?>
        {
            ["name"] = "Zoë's café ✓", ["slug"] = slug, ["repository_url"] = "https://example.com/acme/app.git",
        }, cancellationToken: TestContext.Current.CancellationToken);
        var text = Text(result);
        text.ShouldContain("\"name\":\"Zoë's café ✓\"");
        text.ShouldNotContain("\\u");
    }

    [Fact]
    public async Task all_zero_ids_get_a_clear_tool_error_and_no_stack_trace()
    {
        var ada = await SignedUpWithToken();
        await using var client = await Connect(ada);
        var zero = Guid.Empty.ToString();
        foreach (var tool in new[] { "get_agent_task", "cancel_agent_task", "retry_agent_task", "approve_agent_plan", "reject_agent_plan", "get_agent_task_logs", "wait_for_agent_task" })
        {
            var error = await CallFails(client, tool, new() { ["task_id"] = zero });
            error.ShouldBe($"Invalid arguments for {tool}: “task_id” is the all-zero UUID, which is never an id; use an id a tool returned (e.g. list_agent_tasks).", tool);
        }
        var choose = await CallFails(client, "choose_agent_run", new() { ["task_id"] = Guid.NewGuid().ToString(), ["run_id"] = zero });
        choose.ShouldContain("“run_id” is the all-zero UUID");
    }
}
