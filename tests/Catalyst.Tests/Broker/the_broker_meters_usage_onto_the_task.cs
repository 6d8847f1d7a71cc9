using System.Net;
using Catalyst.Credentials;
using Catalyst.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace Catalyst.Tests.Broker;

/// <summary>The broker reads each answer's usage as it passes, and the task's totals are exactly those figures, costed from the price table.</summary>
public sealed class the_broker_meters_usage_onto_the_task(AppFixture fixture) : BrokerContext(fixture)
{
    // provider, streamed?, input (uncached), output, cache read, cache write, cost in USD
    public static TheoryData<string, bool, long, long, long, long, decimal> Answers => new()
    {
        // Anthropic counts cached input apart: message_start's usage, then message_delta's output count.
        { "claude-code", true, 1200, 85, 4000, 300, (1200 * 3m + 85 * 15m + 4000 * 0.30m + 300 * 3.75m) / 1_000_000 },
        { "claude-code", false, 1200, 85, 4000, 300, (1200 * 3m + 85 * 15m + 4000 * 0.30m + 300 * 3.75m) / 1_000_000 },
        // OpenAI Responses: response.completed; its 5000 input tokens include the 3000 cached.
        { "codex-cli", true, 2000, 240, 3000, 0, (2000 * 1.25m + 240 * 10m + 3000 * 0.125m) / 1_000_000 },
        // Chat Completions: the last chunk's usage; 2000 prompt tokens include the 500 cached.
        { "qwen-code", true, 1500, 150, 500, 0, (1500 * 1m + 150 * 5m + 500 * 1m) / 1_000_000 },
        // Gemini: usageMetadata is cumulative per chunk, the last one counts; 3000 prompt tokens include the 1000 cached.
        { "gemini-cli", true, 2000, 60, 1000, 0, (2000 * 1.25m + 60 * 10m + 1000 * 0.31m) / 1_000_000 },
        { "gemini-cli", false, 2000, 60, 1000, 0, (2000 * 1.25m + 60 * 10m + 1000 * 0.31m) / 1_000_000 },
    };

    [Theory]
    [MemberData(nameof(Answers))]
    public async Task each_answers_usage_lands_on_the_task_exactly(string provider, bool stream, long input, long output, long cacheRead, long cacheWrite, decimal cost)
    {
        var task = await TaskWithTokenAsync(provider);
        for (var i = 0; i < 2; i++)
        {
            using var response = await Http.SendAsync(ModelCall(provider, task.Token, stream: stream));
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            await response.Content.ReadAsStringAsync();
        }

        await Eventually(async () => (await TaskAsync(task.TaskId)).OutputTokens == 2 * output, "both answers are recorded on the task");
        var recorded = await TaskAsync(task.TaskId);
        (recorded.InputTokens, recorded.OutputTokens, recorded.CacheReadTokens, recorded.CacheWriteTokens)
            .ShouldBe((2 * input, 2 * output, 2 * cacheRead, 2 * cacheWrite));
        recorded.CostUsd.ShouldBe(2 * cost);
    }

    [Fact]
    public async Task a_streamed_chat_completion_is_asked_for_its_usage()
    {
        var task = await TaskWithTokenAsync("qwen-code");
        var call = ModelCall("qwen-code", task.Token);
        call.Content = JsonBody("""{"model":"qwen3-coder-plus","stream":true,"messages":[{"role":"user","content":"Write the README."}]}""");
        using var response = await Http.SendAsync(call);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        await response.Content.ReadAsStringAsync();

        var sent = System.Text.Json.JsonDocument.Parse(Vendor.Requests.ShouldHaveSingleItem().Body).RootElement;
        sent.GetProperty("stream_options").GetProperty("include_usage").GetBoolean().ShouldBeTrue();
        sent.GetProperty("messages")[0].GetProperty("content").GetString().ShouldBe("Write the README.");
        await Eventually(async () => (await TaskAsync(task.TaskId)).OutputTokens == 150, "the usage it was asked for is recorded");
    }

    [Fact]
    public void prices_come_from_the_table_or_configuration_and_an_unknown_model_has_no_cost()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Catalyst:Broker:Prices:claude-sonnet-4-5:InputPerMillion"] = "4",
            ["Catalyst:Broker:Prices:my-model:InputPerMillion"] = "1",
            ["Catalyst:Broker:Prices:my-model:OutputPerMillion"] = "2",
        }).Build();
        var prices = new LlmPrices(configuration);
        prices.CostOf(new MeteredUsage("claude-sonnet-4-5-20250929", 1_000_000, 1_000_000, 0, 0)).ShouldBe(4m + 15m);
        prices.CostOf(new MeteredUsage("my-model", 1_000_000, 1_000_000, 1_000_000, 0)).ShouldBe(1m + 2m + 1m);
        prices.CostOf(new MeteredUsage("models/gemini-2.5-pro", 1_000_000, 0, 0, 0)).ShouldBe(1.25m);
        prices.CostOf(new MeteredUsage("someone-elses-model", 1_000_000, 1_000_000, 0, 0)).ShouldBeNull();
    }
}
