using Catalyst.Host.Accounts;
using Catalyst.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Catalyst.Tests.EndToEnd;

/// <summary>A browser host whose sign-up is invite-only (Catalyst__Accounts__SignUp), on a database of its own.</summary>
public sealed class InviteOnlyBrowserFixture(TestDatabase database) : BrowserFixture(database)
{
    protected override string DatabaseName => "catalyst_e2e_invite_only";
    protected override IEnumerable<KeyValuePair<string, string>> Settings => [new(SignUpPolicy.ConfigurationKey, "invite-only")];
    // Its tests sign up the first account, who becomes the administrator.
    protected override bool WarmsUp => false;
}

[CollectionDefinition("browser-invite-only")]
public sealed class InviteOnlyBrowserCollection : ICollectionFixture<InviteOnlyBrowserFixture>;

/// <summary>
/// Sign-up by invitation only: the first person becomes the administrator, anyone else is told at /signup that they need a
/// link, and the link an admin creates on the users page lets the invited person sign up in a browser of their own, once.
/// </summary>
[Trait("Category", "Browser")]
[Collection("browser-invite-only")]
public sealed class a_person_signs_up_by_invitation(InviteOnlyBrowserFixture fixture) : BrowserSteps(fixture)
{
    private const string Password = "a long enough password";

    private async Task<IPage> SignUpAsync(string email, string path = "/signup")
    {
        var page = await Fixture.NewPageAsync();
        await page.GotoAsync(path);
        await page.FillAsync("#Email", email);
        await page.FillAsync("#Password", Password);
        await page.ClickAsync("button[type=submit]");
        return page;
    }

    [Fact]
    public async Task without_a_link_signup_says_it_is_by_invitation_and_the_admins_link_signs_the_invited_person_up_once()
    {
        var admin = await SignUpAsync($"admin-{Guid.NewGuid():N}@example.com");
        await WithScreenshotOnFailure(admin, async () =>
        {
            // The first account is always made: it is the administrator.
            await admin.WaitForAddressAsync("**/projects");

            var stranger = await SignUpAsync($"stranger-{Guid.NewGuid():N}@example.com");
            await Assertions.Expect(stranger.Locator(".alert.error")).ToContainTextAsync(SignUpHandler.NeedsInvitation);
            await Assertions.Expect(stranger.Locator("#signup-mode")).ToContainTextAsync("Sign-up here is by invitation");
            new Uri(stranger.Url).AbsolutePath.ShouldBe("/signup");
            await stranger.GotoAsync("/projects");
            await stranger.WaitForAddressAsync("**/signin**");

            await admin.GotoAsync("/settings/users");
            await HtmxSettled(admin);
            await Assertions.Expect(admin.Locator("#signup-policy")).ToHaveTextAsync("invite-only");
            var invited = $"invited-{Guid.NewGuid():N}@example.com";
            await admin.FillAsync("#InviteEmail", invited);
            await admin.ClickAsync("button:has-text('Create invitation link')");
            await Assertions.Expect(admin.Locator("#invitation-link")).ToContainTextAsync("/signup?invite=");
            var link = (await admin.Locator("#invitation-link").TextContentAsync())!.Trim();

            // The invited person, in a browser of their own: the link's page does not turn them away.
            var guest = await Fixture.NewPageAsync();
            await guest.GotoAsync(link);
            await Assertions.Expect(guest.Locator("#signup-mode")).ToHaveCountAsync(0);
            await guest.FillAsync("#Email", invited);
            await guest.FillAsync("#Password", Password);
            await guest.ClickAsync("button[type=submit]");
            await guest.WaitForAddressAsync("**/projects");

            await admin.ReloadAsync();
            await Assertions.Expect(admin.Locator($"#users tr[data-user='{invited}'] .badge")).ToHaveTextAsync("active");

            // The link made one account.
            var again = await SignUpAsync($"second-{Guid.NewGuid():N}@example.com", new Uri(link).PathAndQuery);
            await Assertions.Expect(again.Locator(".alert.error")).ToContainTextAsync("This invitation has been used or has expired");
            new Uri(again.Url).AbsolutePath.ShouldBe("/signup");
        });
    }
}
