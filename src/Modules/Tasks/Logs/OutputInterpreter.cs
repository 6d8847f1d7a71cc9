using Catalyst.Contracts;

namespace Catalyst.Tasks.Logs;

/// <summary>
/// Turns what the runner and the agent CLI printed into log lines. Plain text here; CLIs with an event stream
/// (JSON lines) get their own reading keyed by the provider's output format.
/// </summary>
public interface IAgentOutputAdapter
{
    string Format { get; }
    IEnumerable<NewLogEntry> Read(OutputLine line);
}

public sealed class PlainTextOutputAdapter : IAgentOutputAdapter
{
    public string Format => "text";

    public IEnumerable<NewLogEntry> Read(OutputLine line)
    {
        yield return line.Stream switch
        {
            OutputStream.System => new NewLogEntry(line.At, TaskLogLevel.Info, TaskLogKinds.System, line.Text),
            OutputStream.Stderr => new NewLogEntry(line.At, TaskLogLevel.Warn, TaskLogKinds.Stderr, line.Text),
            OutputStream.Hook => new NewLogEntry(line.At, TaskLogLevel.Info, TaskLogKinds.Hook, line.Text),
            OutputStream.SystemWarning => new NewLogEntry(line.At, TaskLogLevel.Warn, TaskLogKinds.System, line.Text),
            _ => new NewLogEntry(line.At, TaskLogLevel.Info, TaskLogKinds.AgentMessage, line.Text),
        };
    }
}

public sealed class OutputInterpreter(IEnumerable<IAgentOutputAdapter> adapters)
{
    private readonly Dictionary<string, IAgentOutputAdapter> _adapters = adapters.ToDictionary(a => a.Format, StringComparer.OrdinalIgnoreCase);
    private readonly PlainTextOutputAdapter _plain = new();

    public IReadOnlyList<NewLogEntry> Read(string? format, IReadOnlyList<OutputLine> lines)
    {
        var adapter = format is not null && _adapters.TryGetValue(format, out var found) ? found : _plain;
        var entries = new List<NewLogEntry>(lines.Count);
        foreach (var line in lines)
        {
            // Runner progress, stderr and hook output read the same whatever the CLI.
            entries.AddRange(line.Stream == OutputStream.Stdout ? adapter.Read(line) : _plain.Read(line));
        }
        return entries;
    }
}
