using System.Net;
using System.Text.RegularExpressions;
using Catalyst.Contracts;
using Catalyst.Host.Notifications;
using Catalyst.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Catalyst.Tests.Tasks;

/// <summary>
/// A person's webhook URL is a request the server makes on their behalf: it may not reach loopback, private networks,
/// link-local (cloud metadata) or any name that resolves there, neither when saved nor when a notification is sent.
/// The tests' receivers are reached as "localhost", the one host the test settings allow (Catalyst__Notifications__AllowedWebhookHosts).
/// </summary>
public sealed class notification_webhooks_never_reach_internal_addresses(AppFixture fixture) : IntegrationContext(fixture)
{
    /// <summary>The notification the Tasks module sends when a task ends, handled in process.</summary>
    private async Task Send(AgentTaskNotification notification)
    {
        using var scope = Host.Services.CreateScope();
        await scope.ServiceProvider.GetRequiredService<Wolverine.IMessageBus>().InvokeAsync(notification);
    }

    private static string FieldError(string html) =>
        WebUtility.HtmlDecode(Regex.Match(html, "data-valmsg-for=\"WebhookUrl\"[^>]*>([^<]*)<").Groups[1].Value);

    public static TheoryData<string> InternalAddresses() =>
    [
        "http://127.0.0.1:5080/hook",
        "http://127.1/hook",
        "http://2130706433/hook",
        "http://0x7f000001/hook",
        "http://0.0.0.0/hook",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[::ffff:7f00:1]/hook",
        "http://10.0.0.8/hook",
        "http://172.16.5.4/hook",
        "http://192.168.1.1/hook",
        "http://100.100.100.200/latest/meta-data/",
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://[fe80::1]/hook",
        "https://168.63.129.16/machine",
        "http://224.0.0.1/hook",
    ];

    [Theory]
    [MemberData(nameof(InternalAddresses))]
    public async Task an_internal_address_is_refused_when_saved_with_a_message_that_says_why(string url)
    {
        using var ada = await SignedUp("ada@example.com");
        var response = await ada.PostFormAsync("/settings/notifications", new() { ["WebhookUrl"] = url });
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        FieldError(await response.Content.ReadAsStringAsync()).ShouldStartWith("Webhooks go to public addresses only: ");
        (await Invoke<NotificationSettings>(new GetNotificationSettings(await UserId("ada@example.com")))).WebhookUrl.ShouldBeNull();
    }

    [Fact]
    public async Task a_name_that_resolves_to_an_internal_address_is_refused_with_the_address_it_resolves_to()
    {
        // The machine's own name resolves to one of its own addresses: loopback or a private network, never the public internet.
        var name = Dns.GetHostName();
        using var ada = await SignedUp("ada@example.com");
        var response = await ada.PostFormAsync("/settings/notifications", new() { ["WebhookUrl"] = $"http://{name}:5080/hook" });
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        FieldError(await response.Content.ReadAsStringAsync()).ShouldMatch($"^Webhooks go to public addresses only: “{Regex.Escape(name.ToLowerInvariant())}” resolves to .+, an internal address");
    }

    [Fact]
    public async Task a_public_address_and_an_allowed_host_are_saved_and_a_name_that_does_not_resolve_is_explained()
    {
        using var ada = await SignedUp("ada@example.com");
        (await ada.PostFormAsync("/settings/notifications", new() { ["WebhookUrl"] = "https://93.184.215.14/hook" })).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await ada.PostFormAsync("/settings/notifications", new() { ["WebhookUrl"] = "http://localhost:9/hook" })).StatusCode.ShouldBe(HttpStatusCode.OK);

        var unknown = await ada.PostFormAsync("/settings/notifications", new() { ["WebhookUrl"] = "https://hooks.does-not-exist.invalid/hook" });
        unknown.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        FieldError(await unknown.Content.ReadAsStringAsync()).ShouldBe("The host “hooks.does-not-exist.invalid” could not be found. Check the webhook's address.");
    }

    [Fact]
    public async Task a_webhook_whose_address_turned_internal_after_it_was_saved_is_not_called_when_a_task_ends()
    {
        var calls = 0;
        await using var receiver = await LoopbackServer.StartAsync(app => app.MapPost("/hook", () =>
        {
            Interlocked.Increment(ref calls);
            return Results.Ok();
        }));
        using var ada = await SignedUp("ada@example.com");
        var userId = await UserId("ada@example.com");
        var port = receiver.Address.Port;
        var notification = new AgentTaskNotification(Guid.NewGuid(), userId, "demo", "Fix the build", "task_finished", "completed", "completed",
            null, 1, "catalyst/fix", "/projects/demo/agents/x", DateTimeOffset.UtcNow);

        // Through the host an admin allows, the receiver is called: the path works, so a call that does not arrive was refused.
        (await ada.PostFormAsync("/settings/notifications", new() { ["WebhookUrl"] = $"http://localhost:{port}/hook" })).StatusCode.ShouldBe(HttpStatusCode.OK);
        await Send(notification);
        calls.ShouldBe(1);

        // What DNS rebinding leaves behind: a URL that passed when saved, whose name (or address) points inside at send time.
        foreach (var url in new[] { $"http://{Dns.GetHostName()}:{port}/hook", $"http://127.0.0.1:{port}/hook", $"http://[::ffff:127.0.0.1]:{port}/hook" })
        {
            await using (var session = Store.LightweightSession())
            {
                var settings = await session.LoadAsync<NotificationSettings>(userId);
                session.Store(settings! with { WebhookUrl = url });
                await session.SaveChangesAsync();
            }
            Fixture.Logs.Clear();
            await Send(notification);
            calls.ShouldBe(1, url);
            Fixture.Logs.Lines.ShouldContain(l => l.Contains("was not called") && l.Contains("webhooks go to public addresses only"), url);
        }
    }
}
