using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Workspaces;
using Microsoft.Playwright;

namespace Catalyst.Tests.GitHub;

/// <summary>
/// In Chromium: a project connected to the loopback GitHub, its pull request's page, "Invoke agent", and the task whose
/// agent reads its instructions file, which holds the pull request's diff and review threads.
/// </summary>
[Trait("Category", "Browser")]
public sealed class a_person_invokes_an_agent_from_a_pull_request_in_the_browser(BrowserFixture fixture) : BrowserContext(fixture), IDisposable
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public async Task invoke_agent_on_a_pull_request_gives_the_agent_its_diff_and_review_threads()
    {
        var github = Fixture.GitHub;
        github.ResetRest();
        github.AddPullRequest(5, "Add a cart total", "Sums the cart.", "feature/cart");
        github.AddFile(5, "src/cart.js", "@@ -1,3 +1,4 @@\n const items = [];\n+const total = items.reduce((a, b) => a + b.price, 0);\n export default items;", 1, 0);
        var root = github.AddReviewComment(5, "reviewer", "src/cart.js", "@@ -1,3 +1,4 @@\n const items = [];\n+const total = items.reduce((a, b) => a + b.price, 0);", "What about an empty cart?");
        github.AddReviewComment(5, "contributor", "src/cart.js", "@@ -1,3 +1,4 @@\n const items = [];\n+const total = items.reduce((a, b) => a + b.price, 0);", "reduce starts at 0", (long)root["id"]!);

        var page = await SignedUpPage();
        await WithScreenshotOnFailure(page, async () =>
        {
            var slug = $"e2e-{Guid.NewGuid():N}"[..12];
            await page.GotoAsync("/projects/new");
            await page.FillAsync("#Form_Name", "Shop");
            await page.FillAsync("#Form_Slug", slug);
            await page.FillAsync("#Form_RepositoryUrl", _sandbox.Origin);
            await page.FillAsync("#Form_GitHubRepository", github.Repo.FullName);
            await page.ClickAsync("button:has-text('Create project')");
            await page.WaitForAddressAsync($"**/projects/{slug}");

            await page.GotoAsync($"/projects/{slug}/github");
            await page.CheckAsync("input[name=Kind][value=Token]");
            await page.FillAsync("#Token", FakeGitHub.PersonalToken);
            await page.FillAsync("#DefaultAgent", ScriptAgent.Name);
            await page.ClickAsync("#save-github");
            // Saved: the page comes back with the token's hint, never the token.
            await Assertions.Expect(page.Locator("#credential-hint")).ToContainTextAsync("stored");

            await ScriptCredentialAsync(page);

            // The pull request's page, from the list: its diff and its review thread.
            await page.GotoAsync($"/projects/{slug}/pulls");
            await page.ClickAsync("#item-5 a:has-text('Add a cart total')");
            await page.WaitForAddressAsync($"**/projects/{slug}/pulls/5");
            await Assertions.Expect(page.Locator("body")).ToContainTextAsync("+const total = items.reduce((a, b) => a + b.price, 0);");
            await Assertions.Expect(page.Locator("body")).ToContainTextAsync("What about an empty cart?");

            await page.ClickAsync("#invoke-agent");
            await page.WaitForAddressAsync($"**/projects/{slug}/agents/new?*");
            await HtmxSettled(page);
            (await page.InputValueAsync("#Type")).ShouldBe("pr-review");
            (await page.InputValueAsync("#Instructions")).ShouldContain("Review pull request #5: Add a cart total.");
            await page.ClickAsync($".provider-card[data-provider='{ScriptAgent.Name}']");
            await Assertions.Expect(page.Locator("#CredentialId option")).ToContainTextAsync(["demo"]);
            // The script agent runs its instructions file: this one prints the whole file, the context included.
            await page.FillAsync("#Instructions", "cat \"$0\"\nexit 0");
            await page.ClickAsync("button:has-text('Start task')");
            await page.WaitForAddressAsync($"**/projects/{slug}/agents/*");
            await Assertions.Expect(page.Locator("#task-status .badge")).ToHaveTextAsync("completed · no changes", new() { Timeout = 60_000 });

            var logs = page.Locator("#logs");
            await Assertions.Expect(logs).ToContainTextAsync("+const total = items.reduce((a, b) => a + b.price, 0);");
            await Assertions.Expect(logs).ToContainTextAsync("### src/cart.js line 2");
            await Assertions.Expect(logs).ToContainTextAsync("**@reviewer**: What about an empty cart?");
            await Assertions.Expect(logs).ToContainTextAsync("**@contributor**: reduce starts at 0");
            await Assertions.Expect(page.Locator("#task-context")).ToContainTextAsync("What about an empty cart?");
        });
    }
}
