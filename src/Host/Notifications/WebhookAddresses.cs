using System.Net;
using System.Net.Sockets;
using Microsoft.Security.AntiSSRF;

namespace Catalyst.Host.Notifications;

/// <summary>
/// Where a notification webhook may point: addresses on the public internet, and the hosts an admin allows
/// (<c>Catalyst__Notifications__AllowedWebhookHosts</c>). Checked when a person saves the URL, and again on every
/// connection by Microsoft's AntiSSRF handler, since a name may resolve somewhere else by then (DNS rebinding).
/// </summary>
public sealed class WebhookAddresses(IConfiguration configuration)
{
    public const string AllowedHostsSetting = "Catalyst:Notifications:AllowedWebhookHosts";

    /// <summary>Loopback, private, link-local (cloud metadata), shared, documentation, multicast and reserved ranges, as AntiSSRF lists them.</summary>
    private static readonly IPNetwork[] Internal = IPAddressRanges.recommendedLatest.Select(IPNetwork.Parse).ToArray();

    private readonly HashSet<string> _allowed = (configuration[AllowedHostsSetting] ?? "")
        .Split([',', ';', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Normalise).ToHashSet();

    public bool IsAllowedHost(Uri url) => _allowed.Contains(Normalise(url.IdnHost));

    public static bool IsInternal(IPAddress address) =>
        Internal.Any(n => n.Contains(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address));

    /// <summary>Why this URL may not be a webhook, in words for the form; null when it may.</summary>
    public async Task<string?> RefusalAsync(Uri url, CancellationToken ct)
    {
        if (IsAllowedHost(url)) return null;
        var host = Normalise(url.IdnHost);
        IPAddress[] addresses;
        if (IPAddress.TryParse(host, out var literal)) addresses = [literal];
        else
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            try { addresses = await Dns.GetHostAddressesAsync(host, timeout.Token); }
            catch (Exception e) when (e is SocketException or OperationCanceledException && !ct.IsCancellationRequested) { addresses = []; }
            if (addresses.Length == 0) return $"The host “{url.Host}” could not be found. Check the webhook's address.";
        }
        if (addresses.FirstOrDefault(IsInternal) is not { } inside) return null;
        return $"Webhooks go to public addresses only: “{url.Host}” {(literal is null ? $"resolves to {inside}, " : "is ")}an internal address " +
               "(loopback, a private network, link-local or a cloud metadata service). An admin can allow a host with Catalyst__Notifications__AllowedWebhookHosts.";
    }

    /// <summary>The handler of webhook calls to anywhere but an allowed host: every connection refused unless its address is public.</summary>
    public static HttpMessageHandler GuardedHandler()
    {
        var policy = new AntiSSRFPolicy(PolicyConfigOptions.ExternalOnlyLatest) { AllowPlainTextHttp = true, AddXFFHeader = false };
        var handler = policy.GetHandler();
        handler.AllowAutoRedirect = false;
        return handler;
    }

    private static string Normalise(string host) => host.Trim().Trim('[', ']').TrimEnd('.').ToLowerInvariant();
}
