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
using Microsoft.Extensions.DependencyInjection;

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
    public async Task a_finished_task_is_emailed_to_its_owner_with_its_link_and_without_any_secret()
    {
        using var ada = await SignedUp("ada@example.com");
        var saved = await ada.PostFormAsync("/settings/notifications", new() { ["Email"] = "true" });
        saved.StatusCode.ShouldBe(HttpStatusCode.OK);
        var signingSecret = Secret().Match(await saved.Content.ReadAsStringAsync()).Groups[1].Value;
        signingSecret.ShouldStartWith("whsec_");

        await ada.CreateProjectAsync("mailed", _sandbox.Origin);
        var credential = await ada.AddScriptCredentialAsync(Store);
        var before = Fixture.Smtp.Count;
        // The agent prints its key and fails: the error may travel, the key may not.
        var taskId = await ada.StartTaskAsync("mailed", credential, $"echo \"key ${ScriptAgent.KeyVariable}\" >&2; exit 3");
        (await Store.WaitUntilFinishedAsync(taskId)).Status.ShouldBe(AgentTaskStatus.Failed);

        var email = await Fixture.Smtp.WaitForAsync(e => e.To.Contains("ada@example.com"), after: before, seconds: 20);
        var body = Decoded(email.Data);
        email.Subject.ShouldContain("Task failed");
        body.ShouldContain("Project: mailed");
        body.ShouldContain($"{Host.Services.GetRequiredService<SmtpSettings>().PublicUrl}/projects/mailed/agents/{taskId}");
        foreach (var secret in new[] { TaskSteps.Key, signingSecret })
        {
            email.Data.ShouldNotContain(secret);
            body.ShouldNotContain(secret);
        }
        // One email per ending, however long the mail server takes.
        Fixture.Smtp.Received.Skip(before).Count(e => e.To.Contains("ada@example.com")).ShouldBe(1);
    }

    /// <summary>The text of an email as its reader sees it: quoted-printable or base64 bodies decoded.</summary>
    internal static string Decoded(string data)
    {
        var split = data.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var (headers, body) = (data[..split], data[(split + 4)..]);
        if (headers.Contains("Content-Transfer-Encoding: base64", StringComparison.OrdinalIgnoreCase))
            return System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(string.Concat(body.Split("\r\n"))));
        if (!headers.Contains("Content-Transfer-Encoding: quoted-printable", StringComparison.OrdinalIgnoreCase)) return body;
        var joined = body.Replace("=\r\n", "");
        var bytes = new List<byte>();
        for (var i = 0; i < joined.Length; i++)
        {
            if (joined[i] == '=' && i + 2 < joined.Length && Uri.IsHexDigit(joined[i + 1]) && Uri.IsHexDigit(joined[i + 2]))
            {
                bytes.Add(Convert.ToByte(joined.Substring(i + 1, 2), 16));
                i += 2;
            }
            else bytes.AddRange(System.Text.Encoding.UTF8.GetBytes(joined[i].ToString()));
        }
        return System.Text.Encoding.UTF8.GetString(bytes.ToArray());
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
