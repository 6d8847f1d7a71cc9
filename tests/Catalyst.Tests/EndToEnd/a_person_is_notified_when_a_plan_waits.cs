using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;
using Catalyst.Host.Notifications;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Workspaces;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Playwright;

namespace Catalyst.Tests.EndToEnd;

/// <summary>
/// A person sets a webhook URL on their notifications page and starts a plan-first task; when the plan waits, a signed JSON
/// notification arrives, and its link opens the task page, where the person approves the plan and the task carries it out.
/// </summary>
[Trait("Category", "Browser")]
public sealed class a_person_is_notified_when_a_plan_waits(BrowserFixture fixture) : BrowserContext(fixture), IDisposable
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();

    public void Dispose() => _sandbox.Dispose();

    private static async Task<(string Body, string Signature)> Next(ConcurrentQueue<(string Body, string Signature)> received, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (received.TryDequeue(out var delivery)) return delivery;
            await Task.Delay(100);
        }
        throw new TimeoutException($"No notification within 30 s: {what}");
    }

    [Fact]
    public async Task the_plan_waiting_webhook_is_signed_and_its_link_opens_the_task_where_the_plan_is_approved()
    {
        var received = new ConcurrentQueue<(string Body, string Signature)>();
        await using var hook = await LoopbackServer.StartAsync(app => app.MapPost("/hook", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            received.Enqueue((await reader.ReadToEndAsync(), request.Headers[SendAgentTaskNotificationHandler.SignatureHeader].ToString()));
            return Results.Ok();
        }));
        var page = await SignedUpPage();
        await WithScreenshotOnFailure(page, async () =>
        {
            await page.GotoAsync("/settings/notifications");
            await page.FillAsync("#WebhookUrl", hook.Url("/hook").Replace("127.0.0.1", "localhost"));
            await page.ClickAsync("button:has-text('Save')");
            await Assertions.Expect(page.Locator("#notifications-saved")).ToBeVisibleAsync();
            var secret = (await page.Locator("#webhook-secret").TextContentAsync())!.Trim();

            var slug = await ProjectWithScriptAgentFormAsync(page, "Planned and notified", _sandbox.Origin);
            await page.FillAsync("#Instructions", """
                if [ "$1" = plan ]; then echo "Step 1: add NOTIFIED.md"; exit 0; fi
                echo "done" > NOTIFIED.md && git add NOTIFIED.md && git commit -qm "Carry out the notified plan"
                """);
            await page.CheckAsync("#PlanFirst");
            await page.ClickAsync("button:has-text('Start task')");
            // The task's own page (the form's page matches "agents/*" too).
            await page.WaitForAddressAsync(new Regex($"/projects/{slug}/agents/[0-9a-f-]{{36}}$"));
            await Assertions.Expect(page.Locator("#task-status .badge")).ToBeVisibleAsync();
            var taskPath = new Uri(page.Url).AbsolutePath;
            // The person goes elsewhere: the notification is what tells them the plan waits.
            await page.GotoAsync("/projects");

            var (body, signature) = await Next(received, "the plan waiting for approval");
            signature.ShouldBe(SendAgentTaskNotificationHandler.Sign(secret, body));
            string link;
            using (var json = JsonDocument.Parse(body))
            {
                json.RootElement.GetProperty("event").GetString().ShouldBe("plan_waiting");
                json.RootElement.GetProperty("status").GetString().ShouldBe("awaiting approval");
                json.RootElement.GetProperty("project").GetString().ShouldBe(slug);
                link = json.RootElement.GetProperty("url").GetString()!;
            }
            // The link's path on this host (its public address is not set in tests).
            var path = new Uri(link).AbsolutePath;
            path.ShouldBe(taskPath);

            var fromLink = await page.Context.NewPageAsync();
            await fromLink.GotoAsync(path);
            await Assertions.Expect(fromLink.Locator("#task-status .badge")).ToHaveTextAsync("awaiting approval");
            await Assertions.Expect(fromLink.Locator("#task-plan pre")).ToHaveTextAsync("Step 1: add NOTIFIED.md");
            await fromLink.ClickAsync("button:has-text('Approve plan')");
            await Assertions.Expect(fromLink.Locator("#task-status .badge")).ToHaveTextAsync("completed", new() { Timeout = 30_000 });
            await Assertions.Expect(fromLink.Locator("#commits")).ToContainTextAsync("Carry out the notified plan", new() { Timeout = 15_000 });

            var (finished, finishedSignature) = await Next(received, "the task's end");
            finishedSignature.ShouldBe(SendAgentTaskNotificationHandler.Sign(secret, finished));
            using var end = JsonDocument.Parse(finished);
            end.RootElement.GetProperty("event").GetString().ShouldBe("task_finished");
            end.RootElement.GetProperty("status").GetString().ShouldBe("completed");
        });
    }
}
