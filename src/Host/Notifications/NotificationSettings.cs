using System.Security.Cryptography;
using Catalyst.Contracts;
using Marten;

namespace Catalyst.Host.Notifications;

/// <summary>How a person is told that their task ended or waits: a webhook (a signed JSON body), and email when SMTP is set up.</summary>
public sealed record NotificationSettings
{
    /// <summary>The person's user id.</summary>
    public Guid Id { get; init; }
    public string? WebhookUrl { get; init; }
    /// <summary>The key of the webhook's HMAC-SHA256 signature (X-Catalyst-Signature-256), shown to its owner.</summary>
    public string Secret { get; init; } = "";
    public bool Email { get; init; }

    public static string NewSecret() => "whsec_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
}

public sealed record SaveNotificationSettings(Guid UserId, string? WebhookUrl, bool Email, bool NewSecret = false)
{
    public IReadOnlyList<CommandError> Validate()
    {
        if (string.IsNullOrWhiteSpace(WebhookUrl)) return [];
        var url = WebhookUrl.Trim();
        if (url.Length > 2000 || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(uri.UserInfo))
            return [new(nameof(WebhookUrl), "Enter the webhook as an http(s):// URL without a user or password in it, e.g. https://hooks.example.com/catalyst; or leave it empty.")];
        return [];
    }
}

public static class NotificationSettingsHandler
{
    public static async Task<NotificationSettings> Handle(GetNotificationSettings query, IQuerySession session, CancellationToken ct) =>
        await session.LoadAsync<NotificationSettings>(query.UserId, ct) ?? new NotificationSettings { Id = query.UserId };

    public static async Task<Result<NotificationSettings>> Handle(SaveNotificationSettings command, IDocumentSession session, WebhookAddresses addresses, CancellationToken ct)
    {
        var errors = command.Validate();
        if (errors.Count > 0) return Result<NotificationSettings>.Fail(errors);
        if (!string.IsNullOrWhiteSpace(command.WebhookUrl) && await addresses.RefusalAsync(new Uri(command.WebhookUrl.Trim()), ct) is { } refused)
            return Result<NotificationSettings>.Fail(new CommandError(nameof(command.WebhookUrl), refused));
        var current = await session.LoadAsync<NotificationSettings>(command.UserId, ct) ?? new NotificationSettings { Id = command.UserId };
        var saved = current with
        {
            WebhookUrl = string.IsNullOrWhiteSpace(command.WebhookUrl) ? null : command.WebhookUrl.Trim(),
            Email = command.Email,
            Secret = command.NewSecret || current.Secret.Length == 0 ? NotificationSettings.NewSecret() : current.Secret,
        };
        session.Store(saved);
        return Result<NotificationSettings>.Ok(saved);
    }
}

public sealed record GetNotificationSettings(Guid UserId);
