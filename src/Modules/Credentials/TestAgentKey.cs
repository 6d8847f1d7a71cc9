using System.Security.Cryptography;
using Catalyst.Contracts;
using Catalyst.Credentials.Encryption;
using Marten;
using Microsoft.Extensions.Logging;
using Wolverine;

namespace Catalyst.Credentials;

/// <summary>The "Test" button of the new-credential form: tries a key that is not stored yet.</summary>
public sealed record TestAgentKey(Guid UserId, string Provider, string ApiKey, string? BaseUrl = null)
{
    public IReadOnlyList<CommandError> Validate()
    {
        var errors = new List<CommandError>();
        CredentialInput.CheckProvider(Provider, errors);
        CredentialInput.CheckKey(ApiKey, errors);
        CredentialInput.CheckBaseUrl(BaseUrl, errors);
        return errors;
    }

    public override string ToString() => $"TestAgentKey {{ UserId = {UserId}, Provider = {Provider}, ApiKey = [REDACTED] }}";
}

/// <summary>The "Test" action of a stored credential: decrypts it, tries it, and keeps the answer as its last test result.</summary>
public sealed record TestAgentCredential(Guid UserId, Guid CredentialId);

public static class TestAgentKeyHandler
{
    public static async Task<Result<KeyTestResult>> Handle(
        TestAgentKey command, IMessageBus bus, IHttpClientFactory httpClients, KeyCheckSettings settings, TimeProvider clock,
        ILogger<UserAgentCredential> logger, CancellationToken ct)
    {
        var errors = command.Validate().ToList();
        var provider = await CredentialInput.ActiveProviderAsync(bus, command.Provider, errors, ct);
        if (errors.Count > 0) return Result<KeyTestResult>.Fail(errors);

        var result = await ProviderKeyCheck.RunAsync(httpClients, settings, clock, logger, provider!, command.ApiKey, CredentialInput.BaseUrl(command.BaseUrl), ct);
        return Result<KeyTestResult>.Ok(result);
    }

    public static async Task<Result<CredentialView>> Handle(
        TestAgentCredential command, IDocumentSession session, IMessageBus bus, CredentialKeyRing keys, IHttpClientFactory httpClients,
        KeyCheckSettings settings, TimeProvider clock, ILogger<UserAgentCredential> logger, CancellationToken ct)
    {
        var credential = await session.LoadAsync<UserAgentCredential>(command.CredentialId, ct);
        if (credential is null || credential.OwnerId != command.UserId || credential.Secret is null) return Result<CredentialView>.NotFound("The credential");
        var provider = await bus.InvokeAsync<AgentProviderInfo?>(new GetAgentProvider(credential.Provider), ct);

        KeyTestResult result;
        if (provider is null)
        {
            result = new(KeyTestStatus.Failed, $"The agent “{credential.Provider}” is no longer in Catalyst's catalogue.", clock.GetUtcNow());
        }
        else
        {
            string key;
            try
            {
                key = keys.Decrypt(credential.Secret, credential.AssociatedData());
            }
            catch (Exception e) when (e is CryptographicException or MissingEncryptionKeyException)
            {
                logger.LogError("The key of credential {CredentialId} could not be decrypted with key {KeyId}: {Reason}", credential.Id, credential.Secret.KeyId, e.Message);
                return Result<CredentialView>.Fail(new CommandError("", "The stored key could not be decrypted: Catalyst's encryption key has changed or the record was altered. Delete this credential and add the key again."));
            }
            result = await ProviderKeyCheck.RunAsync(httpClients, settings, clock, logger, provider, key, credential.Config.BaseUrl, ct);
        }

        credential = credential with { LastTest = result };
        session.Store(credential);
        return Result<CredentialView>.Ok(CredentialView.From(credential, provider));
    }
}
