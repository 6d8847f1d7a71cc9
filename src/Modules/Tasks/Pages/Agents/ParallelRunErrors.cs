using System.Text.RegularExpressions;
using Catalyst.Contracts;

namespace Catalyst.Tasks.Pages.Agents;

/// <summary>Where a form shows the mistakes of a parallel request's runs (CreateParallelAgentTask names them "Run 2: …" on Runs[1].Field).</summary>
public static partial class ParallelRunErrors
{
    [GeneratedRegex(@"^Runs\[(\d+)\]\.(\w+)$")]
    private static partial Regex RunField();

    [GeneratedRegex(@"^Run \d+: ")]
    private static partial Regex RunPrefix();

    /// <summary>Every run is the same agent and credential: one message per field, beside the single-task field.</summary>
    public static IReadOnlyList<CommandError> AsOneRun(IReadOnlyList<CommandError> errors) => errors
        .Select(e => RunField().Match(e.Field) is { Success: true } m ? e with { Field = m.Groups[2].Value, Message = RunPrefix().Replace(e.Message, "") } : e)
        .DistinctBy(e => (e.Field, e.Message))
        .ToList();

    /// <summary>Runs were taken from some rows of a form: name each mistake by its row (<paramref name="rows"/>[i] is the row of run i).</summary>
    public static IReadOnlyList<CommandError> ByRow(IReadOnlyList<CommandError> errors, IReadOnlyList<int> rows, string rowField) => errors
        .Select(e => RunField().Match(e.Field) is { Success: true } m && int.Parse(m.Groups[1].Value) is var i && i < rows.Count
            ? e with { Field = $"{rowField}[{rows[i]}]", Message = $"Run {rows[i] + 1}: {RunPrefix().Replace(e.Message, "")}" }
            : e)
        .ToList();
}
