using Catalyst.Contracts;

namespace Catalyst.Web;

/// <summary>
/// The model of the Providers module's card picker (partial "_ProviderCards"): one radio card per provider,
/// posted as <see cref="FieldName"/>. Any page where a person picks an agent renders it.
/// </summary>
public sealed record ProviderPicker(IReadOnlyList<AgentProviderInfo> Providers, string FieldName, string? Selected, string? Error = null)
{
    public string InputId(AgentProviderInfo provider) => $"{FieldName.Replace('.', '_')}_{provider.Name}";
}
