using Catalyst.Contracts;
using Catalyst.Web;
using Catalyst.Host.Notifications;
using Microsoft.AspNetCore.Mvc;
using Wolverine;

namespace Catalyst.Host.Pages.Settings;

public sealed class NotificationsModel(IMessageBus bus, SmtpSettings smtp) : CatalystPageModel
{
    [BindProperty] public string? WebhookUrl { get; set; }
    [BindProperty] public bool Email { get; set; }
    public NotificationSettings Settings { get; private set; } = null!;
    public bool EmailAvailable => smtp.Enabled;
    public bool Saved { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        Settings = await bus.InvokeAsync<NotificationSettings>(new GetNotificationSettings(CurrentUserId), ct);
        (WebhookUrl, Email) = (Settings.WebhookUrl, Settings.Email);
    }

    public Task<IActionResult> OnPostAsync(CancellationToken ct) => Save(false, ct);

    public Task<IActionResult> OnPostNewSecretAsync(CancellationToken ct) => Save(true, ct);

    private async Task<IActionResult> Save(bool newSecret, CancellationToken ct)
    {
        // A checkbox posted as anything but true/false: said beside it, and shown unticked (the tag helper cannot render "yes").
        if (ModelState[nameof(Email)] is { Errors.Count: > 0 })
        {
            Settings = await bus.InvokeAsync<NotificationSettings>(new GetNotificationSettings(CurrentUserId), ct);
            ModelState.Remove(nameof(Email));
            ModelState.SetModelValue(nameof(Email), "false", "false");
            ModelState.AddModelError(nameof(Email), "Email is a checkbox: send true or false.");
            return InvalidForm();
        }
        var result = await bus.InvokeAsync<Result<NotificationSettings>>(new SaveNotificationSettings(CurrentUserId, WebhookUrl, Email, newSecret), ct);
        Settings = result.Value ?? await bus.InvokeAsync<NotificationSettings>(new GetNotificationSettings(CurrentUserId), ct);
        if (!result.Succeeded) return Rejected(result);
        Saved = true;
        return Page();
    }
}
