using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Catalyst.Tests.Infrastructure;

/// <summary>Every log line the host writes, at every level, with its structured values and scopes: for tests that prove what is never logged.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => _lines.ToArray();

    public void Clear() => _lines.Clear();

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(categoryName, this);

    public void Dispose() { }

    private void Add(string line)
    {
        // Bounded: a long run must not grow without limit between two clears.
        if (_lines.Count > 200_000) _lines.TryDequeue(out _);
        _lines.Enqueue(line);
    }

    private sealed class CapturingLogger(string category, CapturedLogs sink) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull
        {
            sink.Add($"{category} [scope] {Describe(state)}");
            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            sink.Add($"{category} [{logLevel}] {formatter(state, exception)} {Describe(state)} {exception}");
        }

        private static string Describe<TState>(TState state) =>
            state is IEnumerable<KeyValuePair<string, object?>> values
                ? string.Join("; ", values.Select(v => $"{v.Key}={v.Value}"))
                : state?.ToString() ?? "";
    }
}
