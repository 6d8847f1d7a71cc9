using System.Buffers;
using System.Net;
using System.Text.Json;

namespace Catalyst.Credentials;

/// <summary>
/// What one answer used. <see cref="InputTokens"/> are the input tokens billed at the full price: for OpenAI and Gemini,
/// whose counts include cached tokens, the cached ones are taken out and counted as <see cref="CacheReadTokens"/>.
/// </summary>
public sealed record MeteredUsage(string? Model, long InputTokens, long OutputTokens, long CacheReadTokens, long CacheWriteTokens)
{
    public long Total => InputTokens + OutputTokens + CacheReadTokens + CacheWriteTokens;
}

/// <summary>
/// Reads the usage out of a vendor's answer as its bytes pass, without holding the answer back: server-sent events line
/// by line, a plain JSON answer (or Gemini's streamed JSON array) kept aside up to a limit and read at its end.
/// </summary>
public sealed class UsageReader(ApiCall call, bool eventStream, string? requestModel)
{
    private const int MaxJson = 16 * 1024 * 1024;
    private const int MaxLine = 4 * 1024 * 1024;
    private readonly ArrayBufferWriter<byte> _pending = new();
    private bool _overflow;
    private string? _model = requestModel;
    private long _input, _output, _cacheRead, _cacheWrite;
    private bool _seen;

    public void Feed(ReadOnlySpan<byte> data)
    {
        if (_overflow) return;
        if (!eventStream)
        {
            if (_pending.WrittenCount + data.Length > MaxJson) { _overflow = true; return; }
            _pending.Write(data);
            return;
        }
        while (data.Length > 0)
        {
            var newline = data.IndexOf((byte)'\n');
            if (newline < 0)
            {
                if (_pending.WrittenCount + data.Length > MaxLine) { _overflow = true; return; }
                _pending.Write(data);
                return;
            }
            if (_pending.WrittenCount > 0)
            {
                _pending.Write(data[..newline]);
                Line(_pending.WrittenSpan);
                _pending.ResetWrittenCount();
            }
            else Line(data[..newline]);
            data = data[(newline + 1)..];
        }
    }

    /// <summary>The usage the answer reported, or null when it reported none.</summary>
    public MeteredUsage? Complete()
    {
        if (!_overflow && _pending.WrittenCount > 0)
        {
            if (eventStream) Line(_pending.WrittenSpan);
            else Json(_pending.WrittenSpan);
        }
        return _seen ? new MeteredUsage(_model, _input, _output, _cacheRead, _cacheWrite) : null;
    }

    private void Line(ReadOnlySpan<byte> line)
    {
        line = line.TrimEnd((byte)'\r');
        if (!line.StartsWith("data:"u8)) return;
        var data = line["data:"u8.Length..].TrimStart((byte)' ');
        if (data.Length == 0 || data[0] != (byte)'{') return;
        Json(data);
    }

    private void Json(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            // Gemini's streamGenerateContent without alt=sse is one JSON array of chunks.
            if (root.ValueKind == JsonValueKind.Array)
                foreach (var chunk in root.EnumerateArray()) Event(chunk);
            else if (root.ValueKind == JsonValueKind.Object) Event(root);
        }
        catch (JsonException)
        {
            // Not JSON after all (a keep-alive, a truncated answer): nothing to count.
        }
    }

    private void Event(JsonElement e)
    {
        switch (call)
        {
            case ApiCall.AnthropicMessages:
                var type = Text(e, "type");
                if (type == "message_start" && e.TryGetProperty("message", out var message))
                {
                    _model = Text(message, "model") ?? _model;
                    if (message.TryGetProperty("usage", out var start)) Anthropic(start);
                }
                else if (type == "message_delta" && e.TryGetProperty("usage", out var delta)) Anthropic(delta);
                else if (type == "message" && e.TryGetProperty("usage", out var whole))
                {
                    _model = Text(e, "model") ?? _model;
                    Anthropic(whole);
                }
                break;
            case ApiCall.OpenAIResponses:
                // Streamed: response.completed (or .incomplete / .failed) carries the response with its usage; else the body is the response.
                var response = e.TryGetProperty("response", out var r) && r.ValueKind == JsonValueKind.Object ? r : e;
                if (response.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
                {
                    _model = Text(response, "model") ?? _model;
                    var cached = Number(usage, "input_tokens_details", "cached_tokens") ?? 0;
                    Set((Number(usage, "input_tokens") ?? 0) - cached, Number(usage, "output_tokens") ?? 0, cached, 0);
                }
                break;
            case ApiCall.ChatCompletions:
                if (e.TryGetProperty("usage", out var chat) && chat.ValueKind == JsonValueKind.Object)
                {
                    _model = Text(e, "model") ?? _model;
                    var cached = Number(chat, "prompt_tokens_details", "cached_tokens") ?? 0;
                    Set((Number(chat, "prompt_tokens") ?? 0) - cached, Number(chat, "completion_tokens") ?? 0, cached, 0);
                }
                break;
            case ApiCall.GeminiGenerate or ApiCall.GeminiStreamGenerate:
                // Cumulative in every chunk: the last one holds the answer's total.
                if (e.TryGetProperty("usageMetadata", out var gemini) && gemini.ValueKind == JsonValueKind.Object)
                {
                    _model ??= Text(e, "modelVersion");
                    var cached = Number(gemini, "cachedContentTokenCount") ?? 0;
                    Set((Number(gemini, "promptTokenCount") ?? 0) - cached,
                        (Number(gemini, "candidatesTokenCount") ?? 0) + (Number(gemini, "thoughtsTokenCount") ?? 0), cached, 0);
                }
                break;
        }
    }

    // Anthropic: message_start has the input side (and an early output count); message_delta the final output count.
    private void Anthropic(JsonElement usage)
    {
        _seen = true;
        _input = Number(usage, "input_tokens") ?? _input;
        _cacheWrite = Number(usage, "cache_creation_input_tokens") ?? _cacheWrite;
        _cacheRead = Number(usage, "cache_read_input_tokens") ?? _cacheRead;
        _output = Number(usage, "output_tokens") ?? _output;
    }

    private void Set(long input, long output, long cacheRead, long cacheWrite)
    {
        _seen = true;
        (_input, _output, _cacheRead, _cacheWrite) = (Math.Max(0, input), output, cacheRead, cacheWrite);
    }

    private static string? Text(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static long? Number(JsonElement e, params string[] path)
    {
        foreach (var name in path)
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(name, out e)) return null;
        }
        return e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out var n) ? n : null;
    }
}

/// <summary>The vendor's answer body, passed on byte for byte as it arrives, with a <see cref="UsageReader"/> reading along.</summary>
public sealed class MeteringContent : HttpContent
{
    private readonly HttpContent _inner;
    private readonly UsageReader _reader;
    private readonly Action<MeteredUsage> _onUsage;

    public MeteringContent(HttpContent inner, UsageReader reader, Action<MeteredUsage> onUsage)
    {
        (_inner, _reader, _onUsage) = (inner, reader, onUsage);
        foreach (var header in inner.Headers) Headers.TryAddWithoutValidation(header.Key, header.Value);
    }

    protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken)
    {
        return new MeteringStream(await _inner.ReadAsStreamAsync(cancellationToken), _reader, _onUsage);
    }

    protected override Task<Stream> CreateContentReadStreamAsync() => CreateContentReadStreamAsync(CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        await using var source = await CreateContentReadStreamAsync(CancellationToken.None);
        await source.CopyToAsync(stream);
    }

    protected override bool TryComputeLength(out long length)
    {
        length = _inner.Headers.ContentLength ?? -1;
        return length >= 0;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _inner.Dispose();
        base.Dispose(disposing);
    }

    private sealed class MeteringStream(Stream inner, UsageReader reader, Action<MeteredUsage> onUsage) : Stream
    {
        private bool _done;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await inner.ReadAsync(buffer, cancellationToken);
            if (n > 0) reader.Feed(buffer.Span[..n]);
            // A zero-byte read (YARP waits for data that way before renting a buffer) is not the end.
            else if (buffer.Length > 0 && !_done)
            {
                _done = true;
                // Recorded before the end of the answer reaches the client, so its next request sees this spend.
                if (reader.Complete() is { } usage) onUsage(usage);
            }
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
