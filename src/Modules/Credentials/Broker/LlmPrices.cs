using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Catalyst.Credentials;

/// <summary>US dollars per million tokens of one model.</summary>
public sealed record ModelPrice(decimal InputPerMillion, decimal OutputPerMillion, decimal? CacheReadPerMillion = null, decimal? CacheWritePerMillion = null)
{
    public decimal CostOf(MeteredUsage usage) =>
        (usage.InputTokens * InputPerMillion
         + usage.OutputTokens * OutputPerMillion
         + usage.CacheReadTokens * (CacheReadPerMillion ?? InputPerMillion)
         + usage.CacheWriteTokens * (CacheWritePerMillion ?? InputPerMillion)) / 1_000_000m;
}

/// <summary>
/// The price table the broker costs usage with: the defaults below (see docs/broker.md), each overridable, and more
/// models addable, with <c>Catalyst:Broker:Prices:&lt;model&gt;:InputPerMillion</c> (and OutputPerMillion,
/// CacheReadPerMillion, CacheWritePerMillion). A model not in the table has no cost (null), only tokens.
/// </summary>
public sealed class LlmPrices
{
    public static readonly IReadOnlyDictionary<string, ModelPrice> Defaults = new Dictionary<string, ModelPrice>(StringComparer.OrdinalIgnoreCase)
    {
        // Anthropic: cache writes (5-minute) cost 1.25× input, cache reads 0.1×.
        ["claude-sonnet-4-5"] = new(3m, 15m, 0.30m, 3.75m),
        ["claude-sonnet-4"] = new(3m, 15m, 0.30m, 3.75m),
        ["claude-opus-4-5"] = new(5m, 25m, 0.50m, 6.25m),
        ["claude-opus-4-1"] = new(15m, 75m, 1.50m, 18.75m),
        ["claude-haiku-4-5"] = new(1m, 5m, 0.10m, 1.25m),
        // OpenAI: cached input at a tenth (GPT-5 family) or a quarter (GPT-4.1) of the input price.
        ["gpt-5.5"] = new(1.25m, 10m, 0.125m),
        ["gpt-5"] = new(1.25m, 10m, 0.125m),
        ["gpt-5-mini"] = new(0.25m, 2m, 0.025m),
        ["gpt-4.1"] = new(2m, 8m, 0.50m),
        ["o4-mini"] = new(1.10m, 4.40m, 0.275m),
        // Google (prompts up to 200k tokens).
        ["gemini-2.5-pro"] = new(1.25m, 10m, 0.31m),
        ["gemini-2.5-flash"] = new(0.30m, 2.50m, 0.075m),
        // Alibaba Cloud international (prompts up to 32k tokens).
        ["qwen3-coder-plus"] = new(1m, 5m),
    };

    private readonly Dictionary<string, ModelPrice> _prices;

    public LlmPrices(IConfiguration configuration)
    {
        _prices = new Dictionary<string, ModelPrice>(Defaults, StringComparer.OrdinalIgnoreCase);
        foreach (var model in configuration.GetSection("Catalyst:Broker:Prices").GetChildren())
        {
            _prices.TryGetValue(model.Key, out var known);
            decimal? Read(string name) => decimal.TryParse(model[name], NumberStyles.Number, CultureInfo.InvariantCulture, out var v) ? v : null;
            var input = Read("InputPerMillion") ?? known?.InputPerMillion;
            var output = Read("OutputPerMillion") ?? known?.OutputPerMillion;
            if (input is null || output is null) continue;
            _prices[model.Key] = new ModelPrice(input.Value, output.Value, Read("CacheReadPerMillion") ?? known?.CacheReadPerMillion,
                Read("CacheWritePerMillion") ?? known?.CacheWritePerMillion);
        }
    }

    /// <summary>The model's price: its exact name, else the longest known name it starts with ("claude-sonnet-4-5-20250929").</summary>
    public ModelPrice? Of(string? model)
    {
        if (string.IsNullOrWhiteSpace(model)) return null;
        model = model.StartsWith("models/", StringComparison.Ordinal) ? model["models/".Length..] : model;
        if (_prices.TryGetValue(model, out var price)) return price;
        return _prices.Where(p => model.StartsWith(p.Key + "-", StringComparison.OrdinalIgnoreCase)).OrderByDescending(p => p.Key.Length)
            .Select(p => p.Value).FirstOrDefault();
    }

    public decimal? CostOf(MeteredUsage usage) => Of(usage.Model)?.CostOf(usage);
}
