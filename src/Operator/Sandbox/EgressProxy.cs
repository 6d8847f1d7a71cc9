using Catalyst.Contracts;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Catalyst.Operator.Sandbox;

/// <summary>What a proxy client may reach, and where a refusal is reported ("blocked egress to example.com:443").</summary>
public sealed record EgressGrant(EgressAllowList Allow, Func<string, ValueTask> Refused);

/// <summary>
/// Who is asking, from the request's <c>Proxy-Authorization</c> header (null without one): the grant, or null for a
/// 407 answer.
/// </summary>
public delegate ValueTask<EgressGrant?> EgressAuthorizer(string? proxyAuthorization, CancellationToken cancellationToken);

/// <summary>
/// A workspace's one way to the hosts its project allows. Locally: an HTTP proxy of the task's own on a Unix socket that
/// the sandbox reaches as <c>http://127.0.0.1:8401</c> (HTTPS_PROXY and HTTP_PROXY). On a cluster: one proxy on a TCP
/// port of the Host, which a pod reaches with its task's credentials (<see cref="StartTcp"/>). CONNECT tunnels and
/// plain-HTTP requests to a host on the <see cref="EgressAllowList"/> are passed through; anything else is answered
/// 403 and reported to <see cref="EgressGrant.Refused"/>, which the task's log shows as a warning.
/// </summary>
/// <remarks>
/// Hand-written because no maintained .NET library does a forward proxy (YARP is a reverse proxy): it reads one request
/// head, decides, and then only copies bytes; TLS stays end to end.
/// </remarks>
public sealed class EgressProxy : IAsyncDisposable
{
    private const int MaxHeadBytes = 16 * 1024;
    private static readonly TimeSpan HeadTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(15);

    private readonly Socket _listener;
    private readonly EgressAuthorizer _authorize;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _accepting;

    private EgressProxy(Socket listener, EgressAuthorizer authorize, ILogger logger)
    {
        _listener = listener;
        _authorize = authorize;
        _logger = logger;
        _accepting = AcceptAsync();
    }

    public string SocketPath { get; private init; } = "";

    public static EgressProxy Start(string socketPath, EgressAllowList allow, Func<string, ValueTask> refused, ILogger logger)
    {
        if (File.Exists(socketPath)) File.Delete(socketPath);
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        listener.Listen(64);
        // The sandbox's user connects to it.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(socketPath, (UnixFileMode)0b110_110_110);
        var grant = new EgressGrant(allow, refused);
        return new EgressProxy(listener, (_, _) => ValueTask.FromResult<EgressGrant?>(grant), logger) { SocketPath = socketPath };
    }

    /// <summary>
    /// A proxy shared by many tasks on a TCP port: each request must carry its task's credentials
    /// (<c>Proxy-Authorization: Basic</c>), which <paramref name="authorize"/> turns into that task's own allow-list.
    /// </summary>
    public static EgressProxy StartTcp(IPEndPoint endpoint, EgressAuthorizer authorize, ILogger logger)
    {
        var listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(endpoint);
        listener.Listen(256);
        return new EgressProxy(listener, authorize, logger) { EndPoint = (IPEndPoint)listener.LocalEndPoint! };
    }

    /// <summary>The TCP address it listens on (<see cref="StartTcp"/> only).</summary>
    public IPEndPoint? EndPoint { get; private init; }

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            _ = HandleAsync(client);
        }
    }

    private async Task HandleAsync(Socket client)
    {
        await using var downstream = new NetworkStream(client, ownsSocket: true);
        try
        {
            using var headTimeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            headTimeout.CancelAfter(HeadTimeout);
            var (head, rest) = await ReadHeadAsync(downstream, headTimeout.Token);
            if (head is null) return;
            var requestLine = head[..head.IndexOf("\r\n", StringComparison.Ordinal)];
            var parts = requestLine.Split(' ');
            if (parts.Length != 3) { await AnswerAsync(downstream, 400, "Bad Request", "Catalyst's egress proxy could not read that request."); return; }
            var connect = parts[0] == "CONNECT";
            string host;
            int port;
            if (connect)
            {
                if (!TrySplitAuthority(parts[1], 443, out host, out port)) { await AnswerAsync(downstream, 400, "Bad Request", "CONNECT needs host:port."); return; }
            }
            else if (Uri.TryCreate(parts[1], UriKind.Absolute, out var uri) && uri.Scheme == "http")
            {
                (host, port) = (uri.IdnHost, uri.Port);
                // The origin server gets an origin-form request line.
                head = $"{parts[0]} {uri.PathAndQuery} {parts[2]}{head[requestLine.Length..]}";
            }
            else
            {
                await AnswerAsync(downstream, 400, "Bad Request", "Catalyst's egress proxy takes CONNECT host:port or an http:// URL.");
                return;
            }

            // The credentials are the proxy's alone: never passed on to the origin server.
            var authorization = TakeHeader(ref head, "Proxy-Authorization");
            if (await _authorize(authorization, _stopping.Token) is not { } grant)
            {
                await AnswerAsync(downstream, 407, "Proxy Authentication Required",
                    "Catalyst's egress proxy takes only a running task's own credentials (the proxy settings it was started with).",
                    "Proxy-Authenticate: Basic realm=\"catalyst-egress\"\r\n");
                return;
            }
            if (!grant.Allow.Allows(host, port))
            {
                await RefuseAsync(grant, downstream, host, port, "");
                return;
            }
            var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, _stopping.Token);
            var allowed = addresses.Where(a => grant.Allow.AllowsAddress(host, port, a)).ToArray();
            if (allowed.Length == 0)
            {
                await RefuseAsync(grant, downstream, host, port, addresses.Length == 0 ? " (the name does not resolve)" : " (it resolves to an internal address)");
                return;
            }

            using var upstreamSocket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token))
            {
                connectTimeout.CancelAfter(ConnectTimeout);
                await upstreamSocket.ConnectAsync(allowed, port, connectTimeout.Token);
            }
            await using var upstream = new NetworkStream(upstreamSocket, ownsSocket: false);
            if (connect) await downstream.WriteAsync("HTTP/1.1 200 Connection established\r\n\r\n"u8.ToArray(), _stopping.Token);
            else await upstream.WriteAsync(Encoding.Latin1.GetBytes(head), _stopping.Token);
            if (rest.Length > 0) await upstream.WriteAsync(rest, _stopping.Token);

            var up = downstream.CopyToAsync(upstream, _stopping.Token);
            var down = upstream.CopyToAsync(downstream, _stopping.Token);
            await Task.WhenAny(up, down);
            upstreamSocket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            _logger.LogDebug(e, "An egress connection ended");
        }
    }

    private static async Task RefuseAsync(EgressGrant grant, Stream downstream, string host, int port, string why)
    {
        await grant.Refused($"blocked egress to {host}:{port}{why}");
        await AnswerAsync(downstream, 403, "Forbidden", $"Catalyst: {host}:{port} is not on this project's egress allow-list{why}. A project admin can add it on the project's page.");
    }

    private static async Task AnswerAsync(Stream downstream, int status, string reason, string text, string extraHeaders = "")
    {
        var body = Encoding.UTF8.GetBytes(text + "\n");
        var head = $"HTTP/1.1 {status} {reason}\r\n{extraHeaders}Content-Type: text/plain; charset=utf-8\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n";
        await downstream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await downstream.WriteAsync(body);
    }

    /// <summary>The request head (through the blank line) as Latin-1 text, and any bytes read past it; null head when the client went away.</summary>
    private static async Task<(string? Head, byte[] Remainder)> ReadHeadAsync(Stream stream, CancellationToken ct)
    {
        var buffer = new byte[MaxHeadBytes];
        var filled = 0;
        while (filled < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(filled), ct);
            if (read == 0) return (null, []);
            filled += read;
            var end = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8);
            if (end >= 0) return (Encoding.Latin1.GetString(buffer, 0, end + 4), buffer[(end + 4)..filled]);
        }
        return (null, []);
    }

    /// <summary>The value of the header <paramref name="name"/> (the last, if repeated), removed from <paramref name="head"/>.</summary>
    private static string? TakeHeader(ref string head, string name)
    {
        string? value = null;
        var lines = head.Split("\r\n");
        var kept = new List<string>(lines.Length);
        foreach (var (index, line) in lines.Index())
        {
            var colon = line.IndexOf(':');
            if (index > 0 && colon > 0 && line.AsSpan(0, colon).Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                value = line[(colon + 1)..].Trim();
                continue;
            }
            kept.Add(line);
        }
        if (value is not null) head = string.Join("\r\n", kept);
        return value;
    }

    private static bool TrySplitAuthority(string authority, int defaultPort, out string host, out int port)
    {
        port = defaultPort;
        host = authority;
        var colon = authority.LastIndexOf(':');
        if (colon <= 0 || authority.EndsWith(']')) return host.Length > 0;
        host = authority[..colon];
        return int.TryParse(authority[(colon + 1)..], out port) && port is > 0 and < 65536 && host.Length > 0;
    }

    private int _disposed;

    /// <summary>Once: a Host stopping may dispose it from more than one place, and at the same time.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await _stopping.CancelAsync();
        _listener.Dispose();
        await _accepting;
        if (SocketPath.Length > 0) try { File.Delete(SocketPath); } catch (IOException) { }
        _stopping.Dispose();
    }
}
