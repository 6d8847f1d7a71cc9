using Catalyst.Contracts;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Catalyst.Operator.Sandbox;

/// <summary>
/// A workspace's one way to the hosts its project allows: an HTTP proxy on a Unix socket that the sandbox reaches as
/// <c>http://127.0.0.1:8401</c> (HTTPS_PROXY and HTTP_PROXY). CONNECT tunnels and plain-HTTP requests to a host on the
/// <see cref="EgressAllowList"/> are passed through; anything else is answered 403 and reported to
/// <c>refused</c> ("blocked egress to example.com:443"), which the runner logs as a warning on the task.
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
    private readonly EgressAllowList _allow;
    private readonly Func<string, ValueTask> _refused;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _accepting;

    private EgressProxy(Socket listener, EgressAllowList allow, Func<string, ValueTask> refused, ILogger logger)
    {
        _listener = listener;
        _allow = allow;
        _refused = refused;
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
        return new EgressProxy(listener, allow, refused, logger) { SocketPath = socketPath };
    }

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

            if (!_allow.Allows(host, port))
            {
                await RefuseAsync(downstream, host, port, "");
                return;
            }
            var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, _stopping.Token);
            var allowed = addresses.Where(a => _allow.AllowsAddress(host, port, a)).ToArray();
            if (allowed.Length == 0)
            {
                await RefuseAsync(downstream, host, port, addresses.Length == 0 ? " (the name does not resolve)" : " (it resolves to an internal address)");
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

    private async Task RefuseAsync(Stream downstream, string host, int port, string why)
    {
        await _refused($"blocked egress to {host}:{port}{why}");
        await AnswerAsync(downstream, 403, "Forbidden", $"Catalyst: {host}:{port} is not on this project's egress allow-list{why}. A project admin can add it on the project's page.");
    }

    private static async Task AnswerAsync(Stream downstream, int status, string reason, string text)
    {
        var body = Encoding.UTF8.GetBytes(text + "\n");
        var head = $"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n";
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

    private static bool TrySplitAuthority(string authority, int defaultPort, out string host, out int port)
    {
        port = defaultPort;
        host = authority;
        var colon = authority.LastIndexOf(':');
        if (colon <= 0 || authority.EndsWith(']')) return host.Length > 0;
        host = authority[..colon];
        return int.TryParse(authority[(colon + 1)..], out port) && port is > 0 and < 65536 && host.Length > 0;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Dispose();
        await _accepting;
        try { File.Delete(SocketPath); } catch (IOException) { }
        _stopping.Dispose();
    }
}
