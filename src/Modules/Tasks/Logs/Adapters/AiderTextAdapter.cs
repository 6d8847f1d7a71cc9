using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Catalyst.Contracts;

namespace Catalyst.Tasks.Logs.Adapters;

/// <summary>
/// Aider prints plain text (<c>--no-pretty --no-stream</c>), no event stream: its own status lines are recognised
/// (version and model banner, "Applied edit to", "Commit", the "Tokens: … Cost: …" line after each answer, litellm
/// errors); every other line is the model's answer.
/// </summary>
public sealed partial class AiderTextAdapter : IAgentOutputAdapter
{
    public string Format => "aider-text";

    public IEnumerable<NewLogEntry> Read(OutputLine line)
    {
        var text = line.Text.TrimEnd();
        if (text.Length == 0) yield break;
        var at = line.At;

        if (Tokens().Match(text) is { Success: true } tokens)
        {
            var input = Count(tokens.Groups["sent"].Value, tokens.Groups["sentUnit"].Value);
            var output = Count(tokens.Groups["received"].Value, tokens.Groups["receivedUnit"].Value);
            decimal? cost = tokens.Groups["cost"].Success ? decimal.Parse(tokens.Groups["cost"].Value, CultureInfo.InvariantCulture) : null;
            yield return new NewLogEntry(at, TaskLogLevel.Info, TaskLogKinds.Usage, text, UsageMetadata.Create(input, output, cost).ToJsonString());
        }
        else if (AppliedEdit().Match(text) is { Success: true } edit)
        {
            var path = edit.Groups["path"].Value;
            yield return new NewLogEntry(at, TaskLogLevel.Info, TaskLogKinds.FileChange, $"Edit {path}",
                new JsonObject { ["path"] = path, ["change"] = "edit", ["tool"] = "aider" }.ToJsonString());
        }
        else if (Commit().Match(text) is { Success: true } commit)
        {
            yield return new NewLogEntry(at, TaskLogLevel.Info, TaskLogKinds.System, text,
                new JsonObject { ["sha"] = commit.Groups["sha"].Value, ["message"] = commit.Groups["message"].Value }.ToJsonString());
        }
        else if (Failure().IsMatch(text))
        {
            yield return new NewLogEntry(at, TaskLogLevel.Error, TaskLogKinds.System, text);
        }
        else if (Retrying().IsMatch(text))
        {
            yield return new NewLogEntry(at, TaskLogLevel.Warn, TaskLogKinds.System, text);
        }
        else if (Banner().IsMatch(text))
        {
            yield return new NewLogEntry(at, TaskLogLevel.Debug, TaskLogKinds.System, text);
        }
        else
        {
            yield return new NewLogEntry(at, TaskLogLevel.Info, TaskLogKinds.AgentMessage, line.Text);
        }
    }

    private static long Count(string number, string unit) =>
        (long)Math.Round(decimal.Parse(number, CultureInfo.InvariantCulture) * unit switch { "k" => 1_000m, "M" => 1_000_000m, _ => 1m });

    [GeneratedRegex(@"^Tokens: (?<sent>[\d.]+)(?<sentUnit>[kM]?) sent,(?: .*?,)? (?<received>[\d.]+)(?<receivedUnit>[kM]?) received\.(?: Cost: \$(?<cost>[\d.]+) message)?")]
    private static partial Regex Tokens();

    [GeneratedRegex(@"^Applied edit to (?<path>.+)$")]
    private static partial Regex AppliedEdit();

    [GeneratedRegex(@"^Commit (?<sha>[0-9a-f]{7,40}) (?<message>.+)$")]
    private static partial Regex Commit();

    [GeneratedRegex(@"^(litellm\.\w+(Error|Exception)\b|\w+(Error|Exception): |Error: )")]
    private static partial Regex Failure();

    // Retries, and the advice Aider prints after an error (the error itself stays the task's message).
    [GeneratedRegex(@"^(Retrying in [\d.]+ seconds|The API provider |Check your API key|https://aider\.chat/docs/troubleshooting)")]
    private static partial Regex Retrying();

    [GeneratedRegex(@"^(Aider v\d|Main model: |Weak model: |Editor model: |Model: |Git repo: |Repo-map: |Added .+ to the chat|Use /help )")]
    private static partial Regex Banner();
}
