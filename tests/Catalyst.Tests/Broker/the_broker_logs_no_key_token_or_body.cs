using System.Net;
using Catalyst.Contracts;
using Catalyst.Tests.Infrastructure;

namespace Catalyst.Tests.Broker;

/// <summary>No log line, at any level and from any category (YARP's and HttpClient's included), holds a key, a token or a prompt.</summary>
public sealed class the_broker_logs_no_key_token_or_body(AppFixture fixture) : BrokerContext(fixture)
{
    [Fact]
    public async Task forwarded_refused_and_streamed_requests_leave_no_secret_in_the_logs()
    {
        var claude = await TaskWithTokenAsync("claude-code");
        var codex = await TaskWithTokenAsync("codex-cli");
        var gemini = await TaskWithTokenAsync("gemini-cli");

        (await Http.SendAsync(ModelCall("claude-code", claude.Token, stream: true))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await Http.SendAsync(ModelCall("codex-cli", codex.Token))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await Http.SendAsync(ModelCall("gemini-cli", gemini.Token, style: "query"))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await Http.SendAsync(ModelCall("gemini-cli", gemini.Token, stream: true, style: "query"))).StatusCode.ShouldBe(HttpStatusCode.OK);
        await Invoke<object?>(new RevokeTaskToken(gemini.TaskId));
        (await Http.SendAsync(ModelCall("gemini-cli", gemini.Token, style: "query"))).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await Http.SendAsync(ModelCall("claude-code", claude.Key))).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        var lines = Fixture.Logs.Lines;
        lines.ShouldContain(l => l.Contains("Task token issued"));
        lines.ShouldContain(l => l.Contains("Refused a broker request"));
        var secrets = new[] { claude.Key, codex.Key, gemini.Key, claude.Token, codex.Token, gemini.Token, claude.Token[9..], gemini.Token[9..], "Write the README." };
        foreach (var line in lines)
        foreach (var secret in secrets)
            line.ShouldNotContain(secret, customMessage: "a secret or a prompt is in a log line");
    }
}
