using Catalyst.Contracts;
using Catalyst.Credentials.Encryption;
using Marten;
using Microsoft.Extensions.Logging;
using Wolverine;

namespace Catalyst.Credentials;

/// <summary>A person adds an API key for an agent provider. The key is sealed before it is stored and never shown again.</summary>
public sealed record AddAgentCredential(Guid UserId, string Provider, string ApiKey, string? Label = null, string? Model = null, string? BaseUrl = null)
{
    public IReadOnlyList<CommandError> Validate()
    {
        var errors = new List<CommandError>();
        CredentialInput.CheckProvider(Provider, errors);
        CredentialInput.CheckKey(ApiKey, errors);
        CredentialInput.CheckLabel(Label, errors);
        CredentialInput.CheckModel(Model, errors);
        CredentialInput.CheckBaseUrl(BaseUrl, errors);
        return errors;
    }

    public override string ToString() => $"AddAgentCredential {{ UserId = {UserId}, Provider = {Provider}, Label = {Label}, ApiKey = [REDACTED] }}";
}

public static class AddAgentCredentialHandler
{
    public static async Task<Result<CredentialView>> Handle(
        AddAgentCredential command, IDocumentSession session, IMessageBus bus, CredentialKeyRing keys, TimeProvider clock,
        ILogger<UserAgentCredential> logger, CancellationToken ct)
    {
        var errors = command.Validate().ToList();
        var provider = await CredentialInput.ActiveProviderAsync(bus, command.Provider, errors, ct);
        if (errors.Count > 0) return Result<CredentialView>.Fail(errors);

        var label = CredentialInput.Label(command.Label);
        var labelKey = UserAgentCredential.LabelKeyOf(provider!.Name, label);
        if (await session.Query<UserAgentCredential>().AnyAsync(c => c.OwnerId == command.UserId && c.LabelKey == labelKey, ct))
            return Result<CredentialView>.Fail(new CommandError("Label",
                $"You already have a {provider.DisplayName} credential labelled “{label}”. Choose another label, or delete that one first.", ErrorKind.Conflict));

        var credential = new UserAgentCredential
        {
            Id = Guid.CreateVersion7(),
            OwnerId = command.UserId,
            Provider = provider.Name,
            Label = label,
            LabelKey = labelKey,
            MaskedKey = CredentialInput.Mask(command.ApiKey),
            Config = new(CredentialInput.Optional(command.Model), CredentialInput.BaseUrl(command.BaseUrl)),
            CreatedAt = clock.GetUtcNow(),
        };
        credential = credential with { Secret = keys.Encrypt(command.ApiKey.Trim(), credential.AssociatedData()) };
        session.Store(credential);
        logger.LogInformation("Agent credential {CredentialId} ({Provider}, “{Label}”) added by {UserId} under key {KeyId}",
            credential.Id, credential.Provider, credential.Label, credential.OwnerId, credential.Secret.KeyId);
        return Result<CredentialView>.Ok(CredentialView.From(credential, provider));
    }
}
