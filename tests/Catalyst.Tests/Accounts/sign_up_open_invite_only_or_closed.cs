using System.Net;
using System.Text.RegularExpressions;
using Catalyst.Contracts;
using Catalyst.Host.Accounts;
using Catalyst.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace Catalyst.Tests.Accounts;

/// <summary>Catalyst__Accounts__SignUp: open, invite-only (an admin's invitation link, used once) or closed.</summary>
public sealed partial class sign_up_open_invite_only_or_closed(AppFixture fixture) : IntegrationContext(fixture)
{
    private static SignUpPolicy Policy(string mode) =>
        new(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [SignUpPolicy.ConfigurationKey] = mode }).Build());

    private async Task<Result<AccountSummary>> SignUpAs(string mode, string email, string? invitation = null)
    {
        await using var session = Store.LightweightSession();
        var result = await SignUpHandler.Handle(new SignUp(email, "a long enough password", null, invitation), session, Policy(mode), TimeProvider.System, CancellationToken.None);
        await session.SaveChangesAsync();
        return result;
    }

    [Fact]
    public async Task invite_only_takes_an_admins_link_once_and_for_its_email_only()
    {
        using var admin = await SignedUp("admin@example.com");
        var page = await admin.PostFormAsync("/settings/users?handler=Invite", new() { ["InviteEmail"] = "bob@example.com" }, formPage: "/settings/users");
        page.StatusCode.ShouldBe(HttpStatusCode.OK);
        var link = WebUtility.HtmlDecode(Link().Match(await page.Content.ReadAsStringAsync()).Groups[1].Value);
        link.ShouldContain("/signup?invite=inv_");
        var token = link[(link.IndexOf("invite=", StringComparison.Ordinal) + "invite=".Length)..];

        (await SignUpAs("invite-only", "carol@example.com")).Errors.ShouldContain(e => e.Message == SignUpHandler.NeedsInvitation);
        (await SignUpAs("invite-only", "carol@example.com", token)).Errors.ShouldContain(e => e.Message.Contains("for bob@example.com"));
        (await SignUpAs("invite-only", "bob@example.com", token)).Succeeded.ShouldBeTrue();
        (await SignUpAs("invite-only", "bob2@example.com", token)).Succeeded.ShouldBeFalse("an invitation makes one account");
    }

    [Fact]
    public async Task closed_refuses_everyone_but_the_first_account_and_open_takes_anyone()
    {
        (await SignUpAs("closed", "first@example.com")).Succeeded.ShouldBeTrue("the first account makes the administrator");
        (await SignUpAs("closed", "second@example.com")).Errors.ShouldContain(e => e.Message == SignUpHandler.Closed);
        (await SignUpAs("open", "third@example.com")).Succeeded.ShouldBeTrue();
    }

    [GeneratedRegex("id=\"invitation-link\">([^<]+)<")]
    private static partial Regex Link();
}
