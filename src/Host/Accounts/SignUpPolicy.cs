namespace Catalyst.Host.Accounts;

/// <summary>
/// Catalyst__Accounts__SignUp: <c>open</c> (anyone may create an account; the default), <c>invite-only</c> (with an
/// invitation link from an admin) or <c>closed</c> (accounts come from `admin create-user`). The first account can
/// always be created, so a new Catalyst gets its administrator.
/// </summary>
public sealed class SignUpPolicy(IConfiguration configuration)
{
    public const string ConfigurationKey = "Catalyst:Accounts:SignUp";

    public string Mode { get; } = (configuration[ConfigurationKey] ?? "open").Trim().ToLowerInvariant() switch
    {
        "invite-only" or "invite" or "invitation" => "invite-only",
        "closed" => "closed",
        _ => "open",
    };

    public bool Open => Mode == "open";
    public bool InviteOnly => Mode == "invite-only";
}
