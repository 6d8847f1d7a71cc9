using Catalyst.Contracts;
using Catalyst.Host.Accounts;
using Catalyst.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Wolverine;

namespace Catalyst.Tests.EndToEnd;

/// <summary>
/// Accounts through the pages: a person changes their password; an admin makes someone an admin, disables someone and
/// creates an invitation link; a project's owner removes a member. The browser host's sign-up mode is fixed (open) for
/// the whole fixture, so the invitation link is followed under open sign-up.
/// </summary>
[Trait("Category", "Browser")]
public sealed class a_person_administers_accounts_in_the_browser(BrowserFixture fixture) : BrowserContext(fixture)
{
    private const string Password = "a long enough password";

    [Fact]
    public async Task a_changed_password_signs_in_and_the_old_one_is_refused()
    {
        var email = $"pw-{Guid.NewGuid():N}@example.com";
        var page = await SignedUpPage(email);
        await WithScreenshotOnFailure(page, async () =>
        {
            await page.GotoAsync("/settings/account");
            await page.FillAsync("#CurrentPassword", Password);
            await page.FillAsync("#NewPassword", "a brand new passphrase");
            await page.ClickAsync("button:has-text('Change password')");
            await Assertions.Expect(page.Locator("#password-changed")).ToBeVisibleAsync();

            await page.ClickAsync("button:has-text('Sign out')");
            await page.WaitForAddressAsync("**/signin");

            await SignInAsync(page, email, Password);
            await Assertions.Expect(page.Locator(".alert.error")).ToContainTextAsync(CheckPasswordHandler.WrongCredentials);
            page.Url.ShouldContain("/signin");

            await SignInAsync(page, email, "a brand new passphrase");
            await page.WaitForAddressAsync("**/projects");
            await Assertions.Expect(page.Locator("button:has-text('Sign out')")).ToBeVisibleAsync();
        });
    }

    [Fact]
    public async Task an_admin_makes_one_person_admin_disables_another_and_creates_an_invitation_link()
    {
        // The admin comes from `admin create-user --admin`, the way a Catalyst gets one besides its first sign-up.
        var admin = $"admin-{Guid.NewGuid():N}@example.com";
        using (var scope = Fixture.Services.CreateScope())
            (await scope.ServiceProvider.GetRequiredService<IMessageBus>()
                .InvokeAsync<Result<AccountSummary>>(new RegisterAccount(admin, Password, MakeAdmin: true))).Succeeded.ShouldBeTrue();
        var promoted = $"bob-{Guid.NewGuid():N}@example.com";
        var bob = await SignedUpPage(promoted);
        var disabled = $"carol-{Guid.NewGuid():N}@example.com";
        var carol = await SignedUpPage(disabled);

        var page = await Fixture.NewPageAsync();
        page.Dialog += async (_, dialog) => await dialog.AcceptAsync();
        await WithScreenshotOnFailure(page, async () =>
        {
            // A member is not shown the users page.
            await bob.GotoAsync("/settings/users");
            await Assertions.Expect(bob.Locator("#users")).ToHaveCountAsync(0);

            await SignInAsync(page, admin, Password);
            await page.WaitForAddressAsync("**/projects");
            await page.GotoAsync("/settings/users");
            await HtmxSettled(page);
            await Assertions.Expect(page.Locator("#signup-policy")).ToHaveTextAsync("open");

            var bobRow = page.Locator($"#users tr[data-user='{promoted}']");
            await Assertions.Expect(bobRow.Locator("td").Nth(2)).ToHaveTextAsync("member");
            await bobRow.Locator("button:has-text('Make admin')").ClickAsync();
            await Assertions.Expect(bobRow.Locator("td").Nth(2)).ToHaveTextAsync("admin");
            await Assertions.Expect(bobRow.Locator("button:has-text('Remove admin')")).ToBeVisibleAsync();
            await bob.GotoAsync("/settings/users");
            await Assertions.Expect(bob.Locator($"#users tr[data-user='{admin}']")).ToHaveCountAsync(1);

            var carolRow = page.Locator($"#users tr[data-user='{disabled}']");
            await carolRow.Locator("button:has-text('Disable')").ClickAsync();
            await Assertions.Expect(carolRow.Locator(".badge")).ToHaveTextAsync("disabled");

            // Her open session ends, and signing in again tells her why she cannot.
            await carol.GotoAsync("/projects");
            await carol.WaitForAddressAsync("**/signin**");
            await SignInAsync(carol, disabled, Password);
            await Assertions.Expect(carol.Locator(".alert.error")).ToContainTextAsync(CheckPasswordHandler.Disabled);
            carol.Url.ShouldContain("/signin");

            var invited = $"dave-{Guid.NewGuid():N}@example.com";
            await page.FillAsync("#InviteEmail", invited);
            await page.ClickAsync("button:has-text('Create invitation link')");
            await Assertions.Expect(page.Locator("#invitation-link")).ToContainTextAsync("/signup?invite=");
            var link = (await page.Locator("#invitation-link").TextContentAsync())!.Trim();

            var dave = await Fixture.NewPageAsync();
            await dave.GotoAsync(link);
            await dave.FillAsync("#Email", invited);
            await dave.FillAsync("#Password", Password);
            await dave.ClickAsync("button[type=submit]");
            await dave.WaitForAddressAsync("**/projects");
            await page.ReloadAsync();
            await Assertions.Expect(page.Locator($"#users tr[data-user='{invited}'] .badge")).ToHaveTextAsync("active");
        });
    }

    [Fact]
    public async Task the_owner_removes_a_member_who_then_no_longer_sees_the_project()
    {
        var memberEmail = $"member-{Guid.NewGuid():N}@example.com";
        var member = await SignedUpPage(memberEmail);
        var page = await SignedUpPage();
        page.Dialog += async (_, dialog) => await dialog.AcceptAsync();
        await WithScreenshotOnFailure(page, async () =>
        {
            var slug = $"team-{Guid.NewGuid():N}"[..12];
            await page.GotoAsync("/projects/new");
            await page.FillAsync("#Form_Name", "Team project");
            await page.FillAsync("#Form_Slug", slug);
            await page.FillAsync("#Form_RepositoryUrl", "https://example.com/acme/team.git");
            await page.ClickAsync("button:has-text('Create project')");
            await page.WaitForAddressAsync($"**/projects/{slug}");

            await page.FillAsync("#members #Email", memberEmail);
            await page.ClickAsync("#members button:has-text('Add member')");
            await Assertions.Expect(page.Locator("#members .invited")).ToContainTextAsync(memberEmail);

            // An invited address joins when its person next signs in.
            await member.ClickAsync("button:has-text('Sign out')");
            await member.WaitForAddressAsync("**/signin");
            await SignInAsync(member, memberEmail, Password);
            await member.WaitForAddressAsync("**/projects");
            await Assertions.Expect(member.Locator($"a[href='/projects/{slug}']").First).ToBeVisibleAsync();
            await page.ReloadAsync();
            await Assertions.Expect(page.Locator($"#members li[data-member='{memberEmail}']")).ToBeVisibleAsync();

            await page.ClickAsync($"#members li[data-member='{memberEmail}'] button:has-text('Remove')");
            await Assertions.Expect(page.Locator($"#members li[data-member='{memberEmail}']")).ToHaveCountAsync(0);

            await member.GotoAsync("/projects");
            await Assertions.Expect(member.Locator($"a[href='/projects/{slug}']")).ToHaveCountAsync(0);
            var opened = await member.GotoAsync($"/projects/{slug}");
            opened!.Status.ShouldBe(404);
        });
    }
}
