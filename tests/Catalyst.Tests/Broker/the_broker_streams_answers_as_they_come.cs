using System.Net;
using System.Text;
using Catalyst.Tests.Infrastructure;

namespace Catalyst.Tests.Broker;

/// <summary>Server-sent events pass through the broker as the vendor sends them, not once the answer is complete.</summary>
public sealed class the_broker_streams_answers_as_they_come(AppFixture fixture) : BrokerContext(fixture)
{
    [Fact]
    public async Task the_client_reads_the_first_event_before_the_vendor_sends_the_second()
    {
        var task = await TaskWithTokenAsync("claude-code", under: "/slow");
        var call = ModelCall("claude-code", task.Token, stream: true, under: "/slow");
        using var response = await Http.SendAsync(call, HttpCompletionOption.ResponseHeadersRead);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");

        await using var body = await response.Content.ReadAsStreamAsync();
        using var reader = new StreamReader(body, Encoding.UTF8);
        var first = await reader.ReadLineAsync();
        first.ShouldBe("event: message_start");
        (await reader.ReadLineAsync()).ShouldStartWith("data: {\"type\":\"message_start\"");
        Vendor.SecondEvent.Task.IsCompleted.ShouldBeFalse("the first event arrived while the vendor still held the second");

        Vendor.SecondEvent.SetResult();
        var rest = await reader.ReadToEndAsync();
        rest.ShouldContain("event: message_delta");
        rest.ShouldContain("event: message_stop");
    }
}
