using System.Text.RegularExpressions;
using Catalyst.Contracts;

namespace Catalyst.Credentials;

/// <summary>The rules for what a person types into the credential form, shared by adding and testing.</summary>
public static partial class CredentialInput
{
    /// <summary>The named provider when it is one Catalyst can run; otherwise null, with the error added beside the field.</summary>
    public static async Task<AgentProviderInfo?> ActiveProviderAsync(Wolverine.IMessageBus bus, string? name, List<CommandError> errors, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(name)) return null;
        var provider = await bus.InvokeAsync<AgentProviderInfo?>(new GetAgentProvider(name), ct);
        if (provider is { Active: true }) return provider;
        errors.Add(new("Provider", $"“{name}” is not an agent Catalyst can run; choose one of those shown."));
        return null;
    }

    public const string DefaultLabel = "default";
    public const int MaxLabelLength = 50;

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9 ._-]*$")]
    private static partial Regex LabelPattern();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$")]
    private static partial Regex ModelPattern();

    public static string Label(string? label) => string.IsNullOrWhiteSpace(label) ? DefaultLabel : label.Trim();

    public static string? Optional(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    public static string? BaseUrl(string? value) => Optional(value)?.TrimEnd('/');

    public static void CheckProvider(string? provider, List<CommandError> errors)
    {
        if (string.IsNullOrWhiteSpace(provider)) errors.Add(new("Provider", "Choose the agent this key is for."));
    }

    public static void CheckKey(string? key, List<CommandError> errors)
    {
        var trimmed = key?.Trim() ?? "";
        if (trimmed.Length == 0) errors.Add(new("ApiKey", "Paste the API key."));
        else if (trimmed.Length is < 8 or > 1024 || trimmed.Any(c => c is < '!' or > '~'))
            errors.Add(new("ApiKey", "That does not look like an API key: 8 to 1024 visible characters, no spaces."));
    }

    public static void CheckLabel(string? label, List<CommandError> errors)
    {
        var value = Label(label);
        if (value.Length > MaxLabelLength || !LabelPattern().IsMatch(value))
            errors.Add(new("Label", $"A label is up to {MaxLabelLength} letters, digits, spaces, dots, dashes and underscores, e.g. “work” or “personal”."));
    }

    public static void CheckModel(string? model, List<CommandError> errors)
    {
        var value = Optional(model);
        if (value is not null && (value.Length > 100 || !ModelPattern().IsMatch(value)))
            errors.Add(new("Model", "Enter a model name such as claude-sonnet-4-5 or gpt-5.5, or leave it empty for the agent's default."));
    }

    public static void CheckBaseUrl(string? baseUrl, List<CommandError> errors)
    {
        var value = Optional(baseUrl);
        if (value is null) return;
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || string.IsNullOrEmpty(uri.Host)
            || uri.UserInfo.Length > 0 || uri.Query.Length > 0 || uri.Fragment.Length > 0
            // The URL goes into the agents' config files (JSON, TOML): nothing that could end a string or open a placeholder.
            || value.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '"' or '\'' or '\\' or '`' or '{' or '}' or '<' or '>'))
            errors.Add(new("BaseUrl", "Enter the API's base URL as http(s)://host[:port][/path], without credentials or query, e.g. https://api.anthropic.com; or leave it empty."));
    }

    /// <summary>Enough to tell keys apart, never enough to use one: the first few characters and the last four.</summary>
    public static string Mask(string key)
    {
        key = key.Trim();
        if (key.Length < 12) return "••••";
        var prefix = key.Length >= 24 ? 6 : 3;
        return $"{key[..prefix]}…{key[^4..]}";
    }

    /// <summary>Replaces the key wherever a provider echoed it, so that its message can be shown and stored.</summary>
    public static string Redact(string text, string key) =>
        key.Length == 0 ? text : text.Replace(key.Trim(), Mask(key), StringComparison.Ordinal);
}
