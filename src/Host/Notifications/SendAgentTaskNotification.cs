using System.Net.Mail;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Catalyst.Contracts;
using Catalyst.Host.Accounts;
using Marten;

namespace Catalyst.Host.Notifications;

/// <summary>SMTP for notification emails; unset Host: no email is sent.</summary>
public sealed class SmtpSettings(IConfiguration configuration)
{
    public string? Host { get; } = configuration["Catalyst:Smtp:Host"];
    public int Port { get; } = int.TryParse(configuration["Catalyst:Smtp:Port"], out var p) ? p : 587;
    public string From { get; } = configuration["Catalyst:Smtp:From"] ?? "catalyst@localhost";
    public string? User { get; } = configuration["Catalyst:Smtp:User"];
    public string? Password { get; } = configuration["Catalyst:Smtp:Password"];
    public bool Ssl { get; } = !string.Equals(configuration["Catalyst:Smtp:Ssl"], "false", StringComparison.OrdinalIgnoreCase);
    /// <summary>Where links in notifications point: the address people open Catalyst at.</summary>
    public string PublicUrl { get; } = (configuration["Catalyst:PublicUrl"] ?? configuration["urls"]?.Split(';')[0] ?? "http://localhost:5080").TrimEnd('/');
    public bool Enabled => !string.IsNullOrWhiteSpace(Host);

    /// <summary>Sends one plain-text email; false (with the reason logged) when the server refused it.</summary>
    public async Task<bool> SendAsync(string to, string subject, string text, ILogger logger, CancellationToken ct)
    {
        try
        {
            using var client = new SmtpClient(Host, Port) { EnableSsl = Ssl };
            if (User is { } login) client.Credentials = new System.Net.NetworkCredential(login, Password);
            using var mail = new MailMessage(From, to, subject, text);
            await client.SendMailAsync(mail, ct);
            return true;
        }
        catch (SmtpException e)
        {
            logger.LogWarning("An email ({Subject}) could not be sent: {Error}", subject, e.Message);
            return false;
        }
    }
}

public static class SendAgentTaskNotificationHandler
{
    public const string HttpClientName = "notifications";
    public const string AllowedHostClientName = "notifications-allowed-host";
    public const string SignatureHeader = "X-Catalyst-Signature-256";

    public static async Task Handle(AgentTaskNotification message, IQuerySession session, IHttpClientFactory clients, SmtpSettings smtp,
        WebhookAddresses addresses, ILogger<NotificationSettings> logger, CancellationToken ct)
    {
        var settings = await session.LoadAsync<NotificationSettings>(message.UserId, ct);
        if (settings is null) return;
        var link = smtp.PublicUrl + message.Path;
        if (settings.WebhookUrl is { } url)
        {
            var body = JsonSerializer.Serialize(new
            {
                @event = message.Event, task_id = message.TaskId, project = message.ProjectSlug, title = message.Headline, status = message.Status,
                status_label = message.StatusLabel, error = message.Error, commits = message.Commits, branch = message.Branch, url = link, at = message.At,
            });
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add(SignatureHeader, Sign(settings.Secret, body));
            request.Headers.Add("X-Catalyst-Event", message.Event);
            try
            {
                var client = clients.CreateClient(addresses.IsAllowedHost(request.RequestUri!) ? AllowedHostClientName : HttpClientName);
                using var response = await client.SendAsync(request, ct);
                if (!response.IsSuccessStatusCode) logger.LogWarning("Notification webhook of user {User} answered {Status}", message.UserId, (int)response.StatusCode);
            }
            catch (Microsoft.Security.AntiSSRF.AntiSSRFException)
            {
                // The name resolved to a public address when it was saved, and to an internal one now; the URL itself may hold a token.
                logger.LogWarning("Notification webhook of user {User} was not called: {Host} is an internal address now, and webhooks go to public addresses only",
                    message.UserId, request.RequestUri!.Host);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                logger.LogWarning("Notification webhook of user {User} could not be reached: {Error}", message.UserId, e.Message);
            }
        }
        if (settings.Email && smtp.Enabled && await session.LoadAsync<CatalystUser>(message.UserId, ct) is { DisabledAt: null } user)
        {
            var subject = message.Event == "plan_waiting" ? $"Plan waiting for your approval: {message.Headline}" : $"Task {message.StatusLabel}: {message.Headline}";
            var text = $"{message.Headline}\n\nProject: {message.ProjectSlug}\nStatus: {message.StatusLabel}\n" +
                       (message.Error is { } error ? $"Error: {error}\n" : "") + (message.Branch is { } b ? $"Branch: {b} ({message.Commits} commits)\n" : "") + $"\n{link}\n";
            await smtp.SendAsync(user.Email, subject, text, logger, ct);
        }
    }

    /// <summary>"sha256=" and the hex HMAC-SHA256 of the body under the person's secret (as GitHub signs its webhooks).</summary>
    public static string Sign(string secret, string body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body)));
}
