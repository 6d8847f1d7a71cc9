using System.Net;
using Catalyst.Tests.Infrastructure;

namespace Catalyst.Tests.Broker;

/// <summary>A workspace holds only its task token; the vendor gets the real key, in its own header, and never the token.</summary>
public sealed class the_broker_swaps_the_task_token_for_the_key(AppFixture fixture) : BrokerContext(fixture)
{
    public static TheoryData<string, string, string, string, string> Styles => new()
    {
        // provider, how the CLI sends the token, the vendor's key header, its value template, the path the vendor sees
        { "claude-code", "header", "x-api-key", "{key}", "/v1/messages" },
        { "codex-cli", "header", "authorization", "Bearer {key}", "/v1/responses" },
        { "gemini-cli", "header", "x-goog-api-key", "{key}", "/v1beta/models/gemini-2.5-pro:generateContent" },
        { "gemini-cli", "query", "x-goog-api-key", "{key}", "/v1beta/models/gemini-2.5-pro:generateContent" },
    };

    [Theory]
    [MemberData(nameof(Styles))]
    public async Task the_vendor_receives_the_key_in_its_own_header_and_never_the_token(string provider, string style, string header, string template, string path)
    {
        var task = await TaskWithTokenAsync(provider);
        task.Token.ShouldStartWith("cat_task_");
        task.Access.UpstreamBaseUrl.ShouldBe(BaseUrlFor(provider));

        using var response = await Http.SendAsync(ModelCall(provider, task.Token, style: style));
        var answer = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, answer);

        var received = Vendor.Requests.ShouldHaveSingleItem();
        received.PathAndQuery.ShouldBe(path, "the path and query pass as they came, the token's ?key= taken out");
        received.Headers[header].ShouldBe(template.Replace("{key}", task.Key));
        foreach (var other in new[] { "x-api-key", "authorization", "x-goog-api-key" }.Where(h => h != header))
            received.Headers.ShouldNotContainKey(other);
        received.Headers.Values.ShouldNotContain(v => v.Contains(task.Token));
        received.PathAndQuery.ShouldNotContain(task.Token);
        received.Body.ShouldContain("Write the README.");
        if (provider == "claude-code") received.Headers["anthropic-version"].ShouldBe("2023-06-01");

        answer.ShouldNotContain(task.Key);
        response.Headers.Concat(response.Content.Headers).SelectMany(h => h.Value).ShouldNotContain(v => v.Contains(task.Key));
    }

    [Fact]
    public async Task only_model_calls_are_forwarded_and_others_get_the_vendors_404()
    {
        var task = await TaskWithTokenAsync("codex-cli");
        var listing = new HttpRequestMessage(HttpMethod.Get, Broker.Url + "v1/models");
        listing.Headers.Authorization = new("Bearer", task.Token);
        (await Http.SendAsync(listing)).StatusCode.ShouldBe(HttpStatusCode.OK);

        var upload = new HttpRequestMessage(HttpMethod.Post, Broker.Url + "v1/files") { Content = JsonBody("{}") };
        upload.Headers.Authorization = new("Bearer", task.Token);
        using var refused = await Http.SendAsync(upload);
        refused.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await refused.Content.ReadAsStringAsync()).ShouldContain("\"error\":{\"message\":");

        var page = new HttpRequestMessage(HttpMethod.Get, Broker.Url + "settings/agents");
        page.Headers.Authorization = new("Bearer", task.Token);
        (await Http.SendAsync(page)).StatusCode.ShouldBe(HttpStatusCode.NotFound, "the broker's listener serves no page of the app");

        Vendor.Requests.Select(r => r.PathAndQuery).ShouldBe(["/v1/models"]);
    }

    [Fact]
    public async Task the_apps_own_port_does_not_answer_model_calls()
    {
        var task = await TaskWithTokenAsync("claude-code");
        var result = await Host.Scenario(s =>
        {
            s.Post.Text("{\"model\":\"claude-sonnet-4-5\"}").ToUrl("/v1/messages");
            s.WithRequestHeader("x-api-key", task.Token);
            s.StatusCodeShouldBe(HttpStatusCode.NotFound);
        });
        Vendor.Requests.ShouldBeEmpty();
    }

    [Fact]
    public async Task a_sandboxed_workspace_reaches_the_broker_through_its_unix_socket()
    {
        var task = await TaskWithTokenAsync("claude-code");
        if (!OperatingSystem.IsWindows()) File.GetUnixFileMode(Broker.SocketPath).ShouldBe((UnixFileMode)0b110_110_110);
        using var client = SocketClient();
        var call = ModelCall("claude-code", task.Token);
        call.RequestUri = new Uri("http://localhost/v1/messages");
        using var response = await client.SendAsync(call);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        Vendor.Requests.ShouldHaveSingleItem().Headers["x-api-key"].ShouldBe(task.Key);
    }
}
