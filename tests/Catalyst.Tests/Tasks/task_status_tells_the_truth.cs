using System.Net;
using System.Net.ServerSentEvents;
using System.Text.RegularExpressions;
using Catalyst.Tasks.Domain;
using Catalyst.Tests.Infrastructure;

namespace Catalyst.Tests.Tasks;

/// <summary>A task that changed nothing is not shown as a success, and a cancel its owner asked for is not shown as an error.</summary>
public sealed partial class task_status_tells_the_truth(AppFixture fixture) : IntegrationContext(fixture)
{
    [Fact]
    public async Task a_task_completed_without_commits_reads_no_changes_in_the_list_the_page_and_the_live_stream()
    {
        using var ada = await SignedUp("ada@example.com");
        await ada.CreateProjectAsync("truth", "https://git.example.com/acme/truth.git");
        var project = await Store.ProjectAsync("truth");
        var adaId = await UserId("ada@example.com");
        var now = DateTimeOffset.UtcNow.AddMinutes(-10);
        var empty = await Store.RecordAsync(project, adaId, new("Look around and change nothing", now));
        var changed = await Store.RecordAsync(project, adaId, new("Add a README", now.AddMinutes(1), Commits: 2));

        var list = WebUtility.HtmlDecode(await ada.GetHtmlAsync("/projects/truth/agents"));
        Badge(list, empty).ShouldBe(("no-changes", "completed · no changes"));
        Badge(list, changed).ShouldBe(("completed", "completed"));

        var page = WebUtility.HtmlDecode(await ada.GetHtmlAsync($"/projects/truth/agents/{empty}"));
        page.ShouldContain("class=\"badge no-changes\"");
        page.ShouldNotContain("class=\"badge completed\"");
        page.ShouldContain("nothing in the repository changed");

        using var events = await ada.OpenStreamAsync($"/projects/truth/agents/{empty}/events");
        var status = await SseParser.Create(await events.Content.ReadAsStreamAsync()).EnumerateAsync().FirstAsync(e => e.EventType == "status");
        status.Data.ShouldContain("badge no-changes");
    }

    [Fact]
    public async Task a_task_its_owner_cancelled_is_not_shown_as_an_error()
    {
        using var ada = await SignedUp("ada@example.com");
        await ada.CreateProjectAsync("stopped", "https://git.example.com/acme/stopped.git");
        var project = await Store.ProjectAsync("stopped");
        var adaId = await UserId("ada@example.com");
        var now = DateTimeOffset.UtcNow.AddMinutes(-10);
        var cancelled = await Store.RecordAsync(project, adaId,
            new("Refactor the parser", now, AgentTaskStatus.Cancelled, Error: "Cancelled; the agent was stopped.", CancelledByOwner: true));
        var failed = await Store.RecordAsync(project, adaId, new("Fix the build", now.AddMinutes(1), AgentTaskStatus.Failed, Error: "The agent exited with code 2."));

        var page = WebUtility.HtmlDecode(await ada.GetHtmlAsync($"/projects/stopped/agents/{cancelled}"));
        page.ShouldContain("class=\"alert info\" id=\"task-error\"");
        page.ShouldNotContain("class=\"alert error\" id=\"task-error\"");
        Badge(page, null).Tone.ShouldBe("cancelled");

        var failure = WebUtility.HtmlDecode(await ada.GetHtmlAsync($"/projects/stopped/agents/{failed}"));
        failure.ShouldContain("class=\"alert error\" id=\"task-error\"");
    }

    /// <summary>The badge of a task's row in a list, or the first badge of a page.</summary>
    private static (string Tone, string Label) Badge(string html, Guid? task)
    {
        var from = task is null ? 0 : html.IndexOf($"data-task=\"{task}\"", StringComparison.Ordinal);
        from.ShouldBeGreaterThanOrEqualTo(0);
        var m = BadgeMarkup().Match(html, from);
        m.Success.ShouldBeTrue();
        return (m.Groups[1].Value, m.Groups[2].Value);
    }

    [GeneratedRegex("<span class=\"badge ([^\"]+)\"[^>]*>([^<]+)</span>")]
    private static partial Regex BadgeMarkup();
}
