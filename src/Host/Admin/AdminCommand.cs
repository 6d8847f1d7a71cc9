using Catalyst.Contracts;
using Catalyst.Host.Accounts;
using JasperFx.CommandLine;
using Marten;

namespace Catalyst.Host.Admin;

public sealed class AdminInput : NetCoreInput
{
    [Description("create-user | create-token")]
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
[Description("Administer Catalyst: create-user, create-token", Name = "admin")]
public sealed class AdminCommand : JasperFxAsyncCommand<AdminInput>
{
    public AdminCommand()
    {
        Usage("Create a local account").Arguments(x => x.Action);
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
            default:
                Console.Error.WriteLine($"Unknown admin action “{input.Action}”. Use one of: create-user, create-token.");
                return false;
        }
    }

    private static bool Report<T>(Result<T> result)
    {
        foreach (var error in result.Errors) Console.Error.WriteLine(error.Field.Length > 0 ? $"{error.Field}: {error.Message}" : error.Message);
        return result.Succeeded;
    }
}
