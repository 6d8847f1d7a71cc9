using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace Catalyst.Contracts;

/// <summary>
/// The hosts a project lets its workspaces reach: <c>host</c>, <c>host:port</c>, <c>*.domain</c> (any name under it)
/// or an IP address written out. Without a port an entry allows 80 and 443. A name that resolves to a loopback,
/// private or link-local address is refused unless that address is itself on the list: a name is no way in to the
/// Host's own services.
/// </summary>
public sealed partial class EgressAllowList
{
    private readonly IReadOnlyList<Entry> _entries;

    private EgressAllowList(IReadOnlyList<Entry> entries) => _entries = entries;

    private sealed record Entry(string Host, bool Wildcard, int? Port, IPAddress? Address);

    public bool IsEmpty => _entries.Count == 0;

    /// <summary>Parses the project's entries; an entry that is not valid is reported, with what is wrong, in <paramref name="errors"/>.</summary>
    public static EgressAllowList Parse(IEnumerable<string> entries, List<string>? errors = null)
    {
        var parsed = new List<Entry>();
        foreach (var raw in entries.Select(e => e.Trim()).Where(e => e.Length > 0))
        {
            if (TryParse(raw, out var entry, out var error)) parsed.Add(entry);
            else errors?.Add(error);
        }
        return new EgressAllowList(parsed);
    }

    private static bool TryParse(string raw, out Entry entry, out string error)
    {
        entry = null!;
        error = "";
        var text = raw.ToLowerInvariant();
        int? port = null;
        if (text.Contains('/') || text.Contains('@'))
        {
            error = $"'{raw}': write a host name (example.com), a wildcard (*.example.com) or an IP address, optionally with :port; not a URL.";
            return false;
        }
        var colon = text.LastIndexOf(':');
        if (colon > 0 && !text.StartsWith('[') || text.StartsWith('[') && text.Contains("]:", StringComparison.Ordinal))
        {
            var portText = text[(colon + 1)..];
            if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var p) || p is < 1 or > 65535)
            {
                error = $"'{raw}': the port must be a number from 1 to 65535.";
                return false;
            }
            port = p;
            text = text[..colon];
        }
        text = text.Trim('[', ']');
        if (IPAddress.TryParse(text, out var address))
        {
            entry = new Entry(address.ToString(), false, port, address);
            return true;
        }
        var wildcard = text.StartsWith("*.", StringComparison.Ordinal);
        var name = wildcard ? text[2..] : text;
        if (!HostName().IsMatch(name))
        {
            error = $"'{raw}': write a host name (example.com), a wildcard (*.example.com) or an IP address, optionally with :port.";
            return false;
        }
        entry = new Entry(name, wildcard, port, null);
        return true;
    }

    /// <summary>Whether a connection to <paramref name="host"/>:<paramref name="port"/> is on the list (by name, before any look-up).</summary>
    public bool Allows(string host, int port) => Match(host, port) is not null;

    /// <summary>Whether <paramref name="address"/>, which <paramref name="host"/> resolved to, may be connected to.</summary>
    public bool AllowsAddress(string host, int port, IPAddress address)
    {
        if (Match(host, port) is not { } entry) return false;
        if (entry.Address is not null) return entry.Address.Equals(address);
        return !IsInternal(address);
    }

    private Entry? Match(string host, int port)
    {
        var name = host.Trim('[', ']').ToLowerInvariant().TrimEnd('.');
        var literal = IPAddress.TryParse(name, out var address);
        foreach (var entry in _entries)
        {
            var portOk = entry.Port is { } p ? p == port : port is 80 or 443;
            if (!portOk) continue;
            if (entry.Address is not null) { if (literal && entry.Address.Equals(address)) return entry; continue; }
            if (literal) continue;
            if (name == entry.Host || entry.Wildcard && name.EndsWith("." + entry.Host, StringComparison.Ordinal)) return entry;
        }
        return null;
    }

    private static bool IsInternal(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)) return true;
        if (address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6UniqueLocal || address.IsIPv6Multicast) return true;
        var b = address.GetAddressBytes();
        if (b.Length != 4) return false;
        return b[0] is 10 or 0 || b[0] == 127 || b[0] == 172 && b[1] is >= 16 and <= 31 || b[0] == 192 && b[1] == 168
            || b[0] == 169 && b[1] == 254 || b[0] == 100 && b[1] is >= 64 and <= 127 || b[0] >= 224;
    }

    [GeneratedRegex(@"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")]
    private static partial Regex HostName();
}
