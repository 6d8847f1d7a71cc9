using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Catalyst.Host.Notifications;
using Catalyst.Tasks.Domain;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Workspaces;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Catalyst.Tests.Tasks;

/// <summary>The person who started a task gets a signed webhook call when it ends, with a link to it.</summary>
public sealed partial class the_owner_is_notified_when_a_task_ends(AppFixture fixture) : IntegrationContext(fixture), IDisposable
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public async Task a_finished_task_posts_a_signed_json_body_to_the_owners_webhook()
    {
        var received = new ConcurrentQueue<(string Body, string Signature, string Event)>();
        await using var hook = await LoopbackServer.StartAsync(app => app.MapPost("/hook", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            received.Enqueue((await reader.ReadToEndAsync(), request.Headers[SendAgentTaskNotificationHandler.SignatureHeader].ToString(), request.Headers["X-Catalyst-Event"].ToString()));
            return Results.Ok();
        }));

        using var ada = await SignedUp("ada@example.com");
        var refused = await ada.PostFormAsync("/settings/notifications", new() { ["WebhookUrl"] = "ftp://example.com/x" });
        refused.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var saved = await ada.PostFormAsync("/settings/notifications", new() { ["WebhookUrl"] = hook.Url("/hook").Replace("127.0.0.1", "localhost") });
        saved.StatusCode.ShouldBe(HttpStatusCode.OK);
        var secret = Secret().Match(await saved.Content.ReadAsStringAsync()).Groups[1].Value;
        secret.ShouldStartWith("whsec_");

        await ada.CreateProjectAsync("notify", _sandbox.Origin);
        var credential = await ada.AddScriptCredentialAsync(Store);
        var taskId = await ada.StartTaskAsync("notify", credential, "echo hi > HI.md && git add HI.md && git commit -qm 'Say hi'");
        (await Store.WaitUntilFinishedAsync(taskId)).Status.ShouldBe(AgentTaskStatus.Completed);

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (received.IsEmpty && DateTime.UtcNow < deadline) await Task.Delay(100);
        received.Count.ShouldBe(1);
        var (body, signature, kind) = received.Single();
        kind.ShouldBe("task_finished");
        signature.ShouldBe(SendAgentTaskNotificationHandler.Sign(secret, body));
        using var json = JsonDocument.Parse(body);
        json.RootElement.GetProperty("task_id").GetGuid().ShouldBe(taskId);
        json.RootElement.GetProperty("status").GetString().ShouldBe("completed");
        json.RootElement.GetProperty("commits").GetInt32().ShouldBe(1);
        json.RootElement.GetProperty("url").GetString()!.ShouldEndWith($"/projects/notify/agents/{taskId}");
    }

    [Fact]
    public void the_signature_is_the_hmac_of_the_body_under_the_secret()
    {
        // The value any receiver computes: HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog").
        SendAgentTaskNotificationHandler.Sign("key", "The quick brown fox jumps over the lazy dog")
            .ShouldBe("sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
    }

    [GeneratedRegex("id=\"webhook-secret\">([^<]+)<")]
    private static partial Regex Secret();
}
