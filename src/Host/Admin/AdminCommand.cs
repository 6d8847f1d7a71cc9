using Catalyst.Contracts;
using Catalyst.Credentials.Encryption;
using Catalyst.Host.Accounts;
using JasperFx.CommandLine;
using Marten;

namespace Catalyst.Host.Admin;

public sealed class AdminInput : NetCoreInput
{
    [Description("create-user | create-token | rotate-key")]
    public string Action { get; set; } = "";

    [Description("The account's email address")]
    public string EmailFlag { get; set; } = "";

    [Description("The new account's password (create-user)")]
    public string PasswordFlag { get; set; } = "";

    [Description("Make the new account an administrator (create-user)")]
    public bool AdminFlag { get; set; }

    [Description("The token's name (create-token)")]
    public string NameFlag { get; set; } = "";
}

/// <summary>`dotnet run --project src/Host -- admin create-user --email E --password P [--admin]` and friends.</summary>
[Description("Administer Catalyst: create-user, create-token, rotate-key", Name = "admin")]
public sealed class AdminCommand : JasperFxAsyncCommand<AdminInput>
{
    public AdminCommand()
    {
        Usage("Run an administrative action").Arguments(x => x.Action);
    }

    public override async Task<bool> Execute(AdminInput input)
    {
        using var host = input.BuildHost();
        var store = host.Services.GetRequiredService<IDocumentStore>();
        var clock = host.Services.GetRequiredService<TimeProvider>();
        await using var session = store.LightweightSession();

        switch (input.Action)
        {
            case "create-user":
            {
                var result = await RegisterAccountHandler.Handle(
                    new RegisterAccount(input.EmailFlag, input.PasswordFlag, MakeAdmin: input.AdminFlag), session, clock, CancellationToken.None);
                if (!Report(result)) return false;
                await session.SaveChangesAsync();
                Console.WriteLine($"Created {(result.Value!.IsAdmin ? "admin " : "")}account {result.Value.Email} ({result.Value.Id}).");
                return true;
            }
            case "create-token":
            {
                var result = await ApiTokenHandler.Handle(new CreateApiTokenForEmail(input.EmailFlag, input.NameFlag), session, clock, CancellationToken.None);
                if (!Report(result)) return false;
                await session.SaveChangesAsync();
                // The token alone on stdout, so a script can capture it; it is not shown again.
                Console.WriteLine(result.Value!.Token);
                return true;
            }
            case "rotate-key":
            {
                var keys = host.Services.GetRequiredService<CredentialKeyRing>();
                KeyRotationReport report;
                try
                {
                    report = await EncryptionKeyRotation.RotateAsync(store, keys, clock, CancellationToken.None);
                }
                catch (MissingEncryptionKeyException e)
                {
                    Console.Error.WriteLine(e.Message);
                    return false;
                }
                Console.WriteLine($"Re-encrypted {report.Reencrypted} credential(s) under the new key {report.NewKeyId}.");
                var previous = string.Join(", ", report.PreviousKeyIds);
                if (report.KeyFile is not null)
                {
                    Console.WriteLine($"The key file {report.KeyFile} now starts with the new key. The previous key(s) {previous} are no longer used:");
                    Console.WriteLine("restart every running Catalyst process, then delete the lines after the first key.");
                }
                else
                {
                    // Keys from the environment cannot be written from here: the operator must set the new one.
                    Console.WriteLine($"The keys come from {CredentialKeyRing.KeyConfigurationKey}, which this command cannot change. Set, on every Catalyst process:");
                    Console.WriteLine($"  Catalyst__EncryptionKey={report.NewKey.ToBase64()}");
                    Console.WriteLine($"and restart them. The previous key(s) {previous} are no longer needed.");
                }
                return true;
            }
            default:
                Console.Error.WriteLine($"Unknown admin action “{input.Action}”. Use one of: create-user, create-token, rotate-key.");
                return false;
        }
    }

    private static bool Report<T>(Result<T> result)
    {
        foreach (var error in result.Errors) Console.Error.WriteLine(error.Field.Length > 0 ? $"{error.Field}: {error.Message}" : error.Message);
        return result.Succeeded;
    }
}
