using System.Net;
using System.Text.RegularExpressions;
using Catalyst.Tasks.Domain;
using Catalyst.Tests.Infrastructure;

namespace Catalyst.Tests.Tasks;

/// <summary>A task named by 8 hex digits on a page ("Retry of …") is named by the random end of its id, as its branch is.</summary>
public sealed partial class short_task_ids_name_one_task(AppFixture fixture) : IntegrationContext(fixture)
{
    [Fact]
    public async Task two_tasks_made_in_the_same_moment_get_different_short_ids_and_retry_of_names_the_original()
    {
        using var ada = await SignedUp("ada@example.com");
        await ada.CreateProjectAsync("ids", "https://git.example.com/acme/ids.git");
        var project = await Store.ProjectAsync("ids");
        var adaId = await UserId("ada@example.com");
        var moment = DateTimeOffset.UtcNow.AddMinutes(-5);
        var original = await Store.RecordAsync(project, adaId, new("The original", moment, AgentTaskStatus.Failed, Error: "It broke."));
        var neighbour = await Store.RecordAsync(project, adaId, new("Made at the same moment", moment, AgentTaskStatus.Failed, Error: "It broke too."));
        var retry = await Store.RecordAsync(project, adaId, new("The original", moment.AddMinutes(1), RetryOf: original));
        // Time-ordered ids made together share their first digits: those cannot tell the two apart.
        original.ToString("N")[..8].ShouldBe(neighbour.ToString("N")[..8]);

        var page = WebUtility.HtmlDecode(await ada.GetHtmlAsync($"/projects/ids/agents/{retry}"));
        var shown = RetryOf().Match(page).Groups[1].Value;
        shown.Length.ShouldBe(8);
        new[] { original, neighbour, retry }.Count(id => id.ToString("N").Contains(shown)).ShouldBe(1);
        original.ToString("N").ShouldEndWith(shown);
        // The branch of the original ends in the same 8 digits.
        AgentTask.BranchFor(original).ShouldEndWith(shown);

        var back = WebUtility.HtmlDecode(await ada.GetHtmlAsync($"/projects/ids/agents/{original}"));
        RetriedAs().Match(back).Groups[1].Value.ShouldBe(retry.ToString("N")[^8..]);
    }

    [GeneratedRegex("id=\"retry-of\">([0-9a-f]+)<")]
    private static partial Regex RetryOf();

    [GeneratedRegex("id=\"retried-as\">([0-9a-f]+)<")]
    private static partial Regex RetriedAs();
}
