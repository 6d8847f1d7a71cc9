using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Catalyst.Tests.Infrastructure;

/// <summary>An SMTP server on 127.0.0.1 that accepts every message (plain SMTP, no TLS, no auth) and keeps it for the test.</summary>
public sealed class FakeSmtpServer : IAsyncDisposable
{
    public sealed record Email(string From, IReadOnlyList<string> To, string Data)
    {
        public string Subject => Data.Split("\r\n").FirstOrDefault(l => l.StartsWith("Subject:", StringComparison.OrdinalIgnoreCase))?[8..].Trim() ?? "";
    }

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<Email> _received = new();

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
    public IReadOnlyList<Email> Received => _received.ToList();
    public int Count => _received.Count;

    public static FakeSmtpServer Start()
    {
        var server = new FakeSmtpServer();
        server._listener.Start();
        _ = server.AcceptAsync();
        return server;
    }

    public IEnumerable<KeyValuePair<string, string?>> Settings() =>
    [
        new("Catalyst:Smtp:Host", "127.0.0.1"),
        new("Catalyst:Smtp:Port", Port.ToString()),
        new("Catalyst:Smtp:Ssl", "false"),
        new("Catalyst:Smtp:From", "catalyst@example.test"),
    ];

    /// <summary>The first email received after the first <paramref name="after"/> (see <see cref="Count"/>) that matches.</summary>
    public async Task<Email> WaitForAsync(Func<Email, bool> match, int after = 0, int seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < deadline)
        {
            if (_received.Skip(after).FirstOrDefault(match) is { } email) return email;
            await Task.Delay(50);
        }
        throw new TimeoutException($"No such email within {seconds} s; received: {string.Join("; ", _received.Select(e => $"{string.Join(",", e.To)}: {e.Subject}"))}");
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            _ = ConverseAsync(client);
        }
    }

    private async Task ConverseAsync(TcpClient client)
    {
        using var _ = client;
        try
        {
            var stream = client.GetStream();
            using var reader = new StreamReader(stream, Encoding.ASCII);
            await using var writer = new StreamWriter(stream, Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
            await writer.WriteLineAsync("220 fake smtp");
            string? from = null;
            var to = new List<string>();
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                var verb = line.Split(' ', ':')[0].ToUpperInvariant();
                switch (verb)
                {
                    case "EHLO" or "HELO": await writer.WriteLineAsync("250 fake smtp"); break;
                    case "MAIL": from = line[(line.IndexOf(':') + 1)..].Trim(' ', '<', '>'); await writer.WriteLineAsync("250 OK"); break;
                    case "RCPT": to.Add(line[(line.IndexOf(':') + 1)..].Trim(' ', '<', '>')); await writer.WriteLineAsync("250 OK"); break;
                    case "DATA":
                        await writer.WriteLineAsync("354 end with <CRLF>.<CRLF>");
                        var data = new StringBuilder();
                        while (await reader.ReadLineAsync(_stop.Token) is { } dataLine && dataLine != ".") data.Append(dataLine).Append("\r\n");
                        _received.Enqueue(new Email(from ?? "", to.ToList(), data.ToString()));
                        to.Clear();
                        await writer.WriteLineAsync("250 OK queued");
                        break;
                    case "QUIT": await writer.WriteLineAsync("221 bye"); return;
                    default: await writer.WriteLineAsync("250 OK"); break;
                }
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested) { }
        catch (IOException) { }
    }

    public ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        return ValueTask.CompletedTask;
    }
}
