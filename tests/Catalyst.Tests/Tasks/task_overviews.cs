using System.Net;
using Catalyst.Tasks.Domain;
using Catalyst.Tests.Infrastructure;

namespace Catalyst.Tests.Tasks;

/// <summary>A project's page shows its recent tasks; the all-tasks page searches across a person's projects.</summary>
public sealed class task_overviews(AppFixture fixture) : IntegrationContext(fixture)
{
    [Fact]
    public async Task the_project_page_lists_recent_tasks_with_status_agent_starter_duration_and_cost()
    {
        using var ada = await SignedUp("ada@example.com");
        await ada.CreateProjectAsync("overview", "https://git.example.com/acme/overview.git");
        var project = await Store.ProjectAsync("overview");
        var adaId = await UserId("ada@example.com");
        var id = await Store.RecordAsync(project, adaId, new("Tidy the importer", DateTimeOffset.UtcNow.AddHours(-1), Commits: 1,
            Ran: TimeSpan.FromSeconds(95), CostUsd: 0.42m));

        var html = WebUtility.HtmlDecode(await ada.GetHtmlAsync("/projects/overview"));
        var row = html[html.IndexOf($"data-task=\"{id}\"", StringComparison.Ordinal)..];
        row = row[..row.IndexOf("</tr>", StringComparison.Ordinal)];
        row.ShouldContain("Tidy the importer");
        row.ShouldContain(">completed<");
        row.ShouldContain("Claude Code");
        row.ShouldContain("<td class=\"started-by\">ada</td>");
        row.ShouldContain("<td class=\"duration\">1 min 35 s</td>");
        row.ShouldContain("<td class=\"cost\">$0.42</td>");

        // The project's task list has the same columns.
        var list = WebUtility.HtmlDecode(await ada.GetHtmlAsync("/projects/overview/agents"));
        list.ShouldContain("<td class=\"duration\">1 min 35 s</td>");
        list.ShouldContain("<td class=\"cost\">$0.42</td>");
    }

    /// <summary>The count under the list: all the tasks the filters match, not only this page's.</summary>
    private static string Total(int tasks) => $"<span class=\"muted\">{tasks} task{(tasks == 1 ? "" : "s")}</span>";

    [Fact]
    public async Task all_tasks_spans_the_persons_projects_and_searches_and_filters()
    {
        using var ada = await SignedUp("ada@example.com");
        using var bob = await SignedUp("bob@example.com");
        await ada.CreateProjectAsync("alpha", "https://git.example.com/acme/alpha.git");
        await ada.CreateProjectAsync("beta", "https://git.example.com/acme/beta.git");
        await bob.CreateProjectAsync("bobs", "https://git.example.com/acme/bobs.git");
        var adaId = await UserId("ada@example.com");
        var bobId = await UserId("bob@example.com");
        var now = DateTimeOffset.UtcNow.AddHours(-1);
        await Store.RecordAsync(await Store.ProjectAsync("alpha"), adaId, new("Fix the Parser crash", now));
        await Store.RecordAsync(await Store.ProjectAsync("beta"), adaId, new("Speed up the exporter", now.AddMinutes(1), AgentTaskStatus.Failed, Error: "no"));
        await Store.RecordAsync(await Store.ProjectAsync("bobs"), bobId, new("Bob's secret parser work", now.AddMinutes(2)));

        var all = WebUtility.HtmlDecode(await ada.GetHtmlAsync("/tasks"));
        all.ShouldContain("Fix the Parser crash");
        all.ShouldContain("Speed up the exporter");
        all.ShouldNotContain("Bob's secret");
        all.ShouldContain(Total(2));

        var search = WebUtility.HtmlDecode(await ada.GetHtmlAsync("/tasks?q=parser"));
        search.ShouldContain("Fix the Parser crash");
        search.ShouldNotContain("Speed up the exporter");
        search.ShouldNotContain("Bob's secret");
        search.ShouldContain(Total(1));

        var failed = WebUtility.HtmlDecode(await ada.GetHtmlAsync("/tasks?status=failed"));
        failed.ShouldContain("Speed up the exporter");
        failed.ShouldNotContain("Fix the Parser crash");
        failed.ShouldContain(Total(1));

        var beta = WebUtility.HtmlDecode(await ada.GetHtmlAsync("/tasks?project=beta"));
        beta.ShouldContain("Speed up the exporter");
        beta.ShouldNotContain("Fix the Parser crash");
        beta.ShouldContain(Total(1));

        // Naming someone else's project shows nothing of it.
        WebUtility.HtmlDecode(await ada.GetHtmlAsync("/tasks?project=bobs")).ShouldNotContain("Bob's secret");
    }
}
