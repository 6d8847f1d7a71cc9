using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Catalyst.Contracts;

namespace Catalyst.Providers.Catalogue;

/// <summary>
/// A provider as stored: the definition from code at the time it was last seeded. Kept (inactive) when the
/// definition leaves the code, so that tasks which used it still name it.
/// </summary>
public sealed record AgentProvider
{
    /// <summary>The provider's name.</summary>
    public required string Id { get; init; }
    public required string DisplayName { get; init; }
    public required string Description { get; init; }
    public string Monogram { get; init; } = "";
    public int Order { get; init; }
    public bool Active { get; init; }
    public InstallSpec? Install { get; init; }
    public List<string> Features { get; init; } = [];
    public List<string> CredentialVariables { get; init; } = [];
    public string? BaseUrlVariable { get; init; }
    public string? DefaultBaseUrl { get; init; }
    public string? DefaultModel { get; init; }
    public CredentialCheck? KeyCheck { get; init; }
    public List<string> Command { get; init; } = [];
    public Dictionary<string, string> Environment { get; init; } = [];
    public Dictionary<string, string> ConfigTemplate { get; init; } = [];
    public List<List<string>> Setup { get; init; } = [];
    public List<string> PlanCommand { get; init; } = [];
    public List<string> ResumeCommand { get; init; } = [];
    public string OutputFormat { get; init; } = "text";

    /// <summary>The SHA-256 of the definition it was seeded from: a changed definition gets a new one.</summary>
    public string Fingerprint { get; init; } = "";

    /// <summary>False once the definition is no longer in the code.</summary>
    public bool InCatalogue { get; init; } = true;

    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    public static AgentProvider From(AgentProviderDefinition d, DateTimeOffset createdAt, DateTimeOffset now) => new()
    {
        Id = d.Name,
        DisplayName = d.DisplayName,
        Description = d.Description,
        Monogram = d.Monogram,
        Order = d.Order,
        Active = d.Active,
        Install = d.Install,
        Features = [.. d.Features],
        CredentialVariables = [.. d.CredentialVariables],
        BaseUrlVariable = d.BaseUrlVariable,
        DefaultBaseUrl = d.DefaultBaseUrl,
        DefaultModel = d.DefaultModel,
        KeyCheck = d.KeyCheck,
        Command = [.. d.Command],
        Environment = new(d.Environment),
        ConfigTemplate = new(d.ConfigTemplate),
        Setup = d.Setup.Select(step => step.ToList()).ToList(),
        PlanCommand = [.. d.PlanCommand],
        ResumeCommand = [.. d.ResumeCommand],
        OutputFormat = d.OutputFormat,
        Fingerprint = FingerprintOf(d),
        InCatalogue = true,
        CreatedAt = createdAt,
        UpdatedAt = now,
    };

    public static string FingerprintOf(AgentProviderDefinition d) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(d))));

    public AgentProviderInfo ToInfo() => new(
        Id, DisplayName, Description, Active, Features, CredentialVariables, BaseUrlVariable, DefaultModel, Install,
        new AgentLaunch(Command, Environment, ConfigTemplate, OutputFormat) { Setup = Setup, PlanCommand = PlanCommand, ResumeCommand = ResumeCommand })
    {
        Monogram = Monogram,
        DefaultBaseUrl = DefaultBaseUrl,
        KeyCheck = KeyCheck,
    };
}
