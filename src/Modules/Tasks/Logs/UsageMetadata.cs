using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Catalyst.Tasks.Logs;

/// <summary>
/// The metadata of a <see cref="TaskLogKinds.Usage"/> entry: <c>input_tokens</c>, <c>output_tokens</c> and, when the CLI
/// says, <c>cost_usd</c>, spent since the previous usage entry. The Tasks flow adds them up into the task's totals.
/// </summary>
public static class UsageMetadata
{
    public static JsonObject Create(long input, long output, decimal? cost, JsonObject? extra = null)
    {
        var metadata = new JsonObject { ["input_tokens"] = input, ["output_tokens"] = output, ["cost_usd"] = cost };
        if (extra is not null)
            foreach (var (name, value) in extra.ToArray())
            {
                extra.Remove(name);
                metadata[name] = value;
            }
        return metadata;
    }

    public static string Describe(long input, long output, decimal? cost) =>
        string.Create(CultureInfo.InvariantCulture, $"Tokens: {input:N0} in, {output:N0} out") +
        (cost is { } c ? string.Create(CultureInfo.InvariantCulture, $", ${c:0.######}") : "");

    public static bool TryRead(string? metadata, out long input, out long output, out decimal? cost)
    {
        input = output = 0;
        cost = null;
        if (string.IsNullOrEmpty(metadata)) return false;
        try
        {
            using var document = JsonDocument.Parse(metadata);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return false;
            if (root.TryGetProperty("input_tokens", out var i) && i.TryGetInt64(out var inTokens)) input = inTokens;
            if (root.TryGetProperty("output_tokens", out var o) && o.TryGetInt64(out var outTokens)) output = outTokens;
            if (root.TryGetProperty("cost_usd", out var c) && c.ValueKind == JsonValueKind.Number) cost = c.GetDecimal();
            return input > 0 || output > 0 || cost is > 0;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
