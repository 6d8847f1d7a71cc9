using System.Collections.Concurrent;
using System.Text.Json;
using Catalyst.Host.Notifications;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Workspaces;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Playwright;

namespace Catalyst.Tests.EndToEnd;

/// <summary>A person sets a webhook URL and email on their notifications page, runs a task, and both arrive when it ends.</summary>
[Trait("Category", "Browser")]
public sealed class a_person_is_notified_when_a_task_ends(BrowserFixture fixture) : BrowserContext(fixture), IDisposable
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public async Task the_webhook_and_the_email_set_on_the_settings_page_arrive_with_a_link_to_the_task()
    {
        var received = new ConcurrentQueue<(string Body, string Signature)>();
        await using var hook = await LoopbackServer.StartAsync(app => app.MapPost("/hook", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            received.Enqueue((await reader.ReadToEndAsync(), request.Headers[SendAgentTaskNotificationHandler.SignatureHeader].ToString()));
            return Results.Ok();
        }));
        var email = $"notified-{Guid.NewGuid():N}@example.com";
        var page = await SignedUpPage(email);
        await WithScreenshotOnFailure(page, async () =>
        {
            await page.GotoAsync("/settings/notifications");
            await page.FillAsync("#WebhookUrl", "ftp://example.com/x");
            await page.ClickAsync("button:has-text('Save')");
            await Assertions.Expect(page.Locator("[data-valmsg-for='WebhookUrl']")).Not.ToBeEmptyAsync();

            await page.FillAsync("#WebhookUrl", hook.Url("/hook").Replace("127.0.0.1", "localhost"));
            await page.CheckAsync("#Email");
            await page.ClickAsync("button:has-text('Save')");
            await Assertions.Expect(page.Locator("#notifications-saved")).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("#Email")).ToBeCheckedAsync();
            var secret = (await page.Locator("#webhook-secret").TextContentAsync())!.Trim();
            secret.ShouldStartWith("whsec_");

            var slug = await ProjectWithScriptAgentFormAsync(page, "Notify me", _sandbox.Origin);
            await page.FillAsync("#Instructions", "echo hi > HI.md && git add HI.md && git commit -qm 'Say hi'");
            var mailsBefore = Fixture.Smtp.Count;
            await page.ClickAsync("button:has-text('Start task')");
            await page.WaitForAddressAsync($"**/projects/{slug}/agents/*");
            await Assertions.Expect(page.Locator("#task-status .badge")).ToHaveTextAsync("completed", new() { Timeout = 30_000 });
            var taskPath = new Uri(page.Url).AbsolutePath;

            var mail = await Fixture.Smtp.WaitForAsync(e => e.To.Contains(email), after: mailsBefore, seconds: 20);
            mail.Subject.ShouldContain("Task completed");
            Catalyst.Tests.Tasks.the_owner_is_notified_when_a_task_ends.Decoded(mail.Data).ShouldContain(taskPath);

            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (received.IsEmpty && DateTime.UtcNow < deadline) await Task.Delay(100);
            var (body, signature) = received.ShouldHaveSingleItem();
            signature.ShouldBe(SendAgentTaskNotificationHandler.Sign(secret, body));
            using var json = JsonDocument.Parse(body);
            json.RootElement.GetProperty("status").GetString().ShouldBe("completed");
            json.RootElement.GetProperty("url").GetString()!.ShouldEndWith(taskPath);
        });
    }
}
