using System.Net;
using System.Text.RegularExpressions;
using Catalyst.Tests.Infrastructure;

namespace Catalyst.Tests.Tasks;

/// <summary>A project's task list shows 25 tasks a page, newest first; "Older" reaches the rest.</summary>
public sealed partial class task_lists_page_through_older_tasks(AppFixture fixture) : IntegrationContext(fixture)
{
    [Fact]
    public async Task page_two_shows_the_older_tasks_and_no_page_shows_a_binding_error()
    {
        using var ada = await SignedUp("ada@example.com");
        await ada.CreateProjectAsync("paged", "https://git.example.com/acme/paged.git");
        var project = await Store.ProjectAsync("paged");
        var adaId = await UserId("ada@example.com");
        var start = DateTimeOffset.UtcNow.AddHours(-2);
        for (var n = 1; n <= 27; n++)
            await Store.RecordAsync(project, adaId, new($"Task number {n:00}", start.AddMinutes(n)));

        var first = WebUtility.HtmlDecode(await ada.GetHtmlAsync("/projects/paged/agents"));
        first.ShouldNotContain("is not valid for");
        first.ShouldContain("Task number 27");
        first.ShouldContain("Task number 03");
        first.ShouldNotContain("Task number 02");
        var older = OlderLink().Match(first);
        older.Success.ShouldBeTrue("page 1 links to older tasks");

        var second = WebUtility.HtmlDecode(await ada.GetHtmlAsync(older.Groups[1].Value));
        second.ShouldNotContain("is not valid for");
        second.ShouldContain("Task number 02");
        second.ShouldContain("Task number 01");
        second.ShouldNotContain("Task number 03");
        second.ShouldNotContain("Task number 27");
        OlderLink().IsMatch(second).ShouldBeFalse("page 2 is the last");
        second.ShouldContain("rel=\"prev\"");

        // A filter and a page together: the older completed tasks.
        var filtered = WebUtility.HtmlDecode(await ada.GetHtmlAsync("/projects/paged/agents?status=completed&p=2"));
        filtered.ShouldContain("Task number 01");
        filtered.ShouldNotContain("Task number 27");
    }

    [GeneratedRegex("<a rel=\"next\" href=\"([^\"]+)\"")]
    private static partial Regex OlderLink();
}
