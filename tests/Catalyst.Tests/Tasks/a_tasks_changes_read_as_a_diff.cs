using System.Net;
using System.Text.RegularExpressions;
using Catalyst.Integrations.Repositories;
using Catalyst.Tasks.Domain;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Workspaces;

namespace Catalyst.Tests.Tasks;

/// <summary>The changes a task pushed, read from the project's repository: the branch against its base, and each commit.</summary>
public sealed partial class a_tasks_changes_read_as_a_diff(AppFixture fixture) : IntegrationContext(fixture), IDisposable
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public async Task the_branch_and_each_commit_show_their_files_counts_and_lines_and_the_task_page_links_to_them()
    {
        using var ada = await SignedUp("ada@example.com");
        await ada.CreateProjectAsync("diffs", _sandbox.Origin);
        var credential = await ada.AddScriptCredentialAsync(Store);
        var taskId = await ada.StartTaskAsync("diffs", credential, """
            printf '# Sample\n\none\nTWO\nthree\nfour\n' > README.md
            git commit -qam "Shout two, add four"
            printf 'print("hi")\n' > hello.py
            git add hello.py && git commit -qm "Say hi"
            """);
        var task = await Store.WaitUntilFinishedAsync(taskId);
        task.Status.ShouldBe(AgentTaskStatus.Completed, task.Error);
        task.BranchPushed.ShouldBeTrue();

        // The task page links its branch and its commits to the diff.
        var page = WebUtility.HtmlDecode(await ada.GetHtmlAsync($"/projects/diffs/agents/{taskId}"));
        page.ShouldContain($"href=\"/projects/diffs/agents/{taskId}/diff\" id=\"branch-diff\"");
        foreach (var commit in task.Commits) page.ShouldContain($"/projects/diffs/agents/{taskId}/diff?commit={commit.Sha}");

        var branch = WebUtility.HtmlDecode(await ada.GetHtmlAsync($"/projects/diffs/agents/{taskId}/diff"));
        branch.ShouldContain("2 files changed");
        FileCounts(branch).ShouldBe(new Dictionary<string, string> { ["README.md"] = "+2 −1", ["hello.py"] = "+1 −0" }, ignoreOrder: true);
        Lines(branch, "add").ShouldContain("TWO");
        Lines(branch, "add").ShouldContain("four");
        Lines(branch, "add").ShouldContain("print(\"hi\")");
        Lines(branch, "del").ShouldBe(["two"]);

        var shout = task.Commits.Single(c => c.Message == "Shout two, add four");
        var one = WebUtility.HtmlDecode(await ada.GetHtmlAsync($"/projects/diffs/agents/{taskId}/diff?commit={shout.Sha}"));
        FileCounts(one).ShouldBe(new Dictionary<string, string> { ["README.md"] = "+2 −1" });
        one.ShouldNotContain("hello.py");

        // Only the task's own commits: a sha of the base branch is not shown here.
        var baseSha = _sandbox.OriginBranch("main");
        (await ada.GetAsync($"/projects/diffs/agents/{taskId}/diff?commit={baseSha}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        // Nor to someone who is not a member.
        using var bob = await SignedUp("bob@example.com");
        (await bob.GetAsync($"/projects/diffs/agents/{taskId}/diff")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public void a_long_file_is_cut_and_counts_still_hold()
    {
        var lines = string.Join('\n', Enumerable.Range(1, ReadRepositoryDiffHandler.MaxLinesPerFile + 10).Select(i => $"+line {i}"));
        var diff = ReadRepositoryDiffHandler.Parse($"diff --git a/big.txt b/big.txt\nnew file mode 100644\n--- /dev/null\n+++ b/big.txt\n@@ -0,0 +1,{ReadRepositoryDiffHandler.MaxLinesPerFile + 10} @@\n{lines}\n");
        var file = diff.Files.ShouldHaveSingleItem();
        (file.Path, file.Change, file.Insertions, file.Truncated).ShouldBe(("big.txt", "added", ReadRepositoryDiffHandler.MaxLinesPerFile + 10, true));
        file.Lines.Count.ShouldBe(ReadRepositoryDiffHandler.MaxLinesPerFile);
    }

    private static Dictionary<string, string> FileCounts(string html) => FileRow().Matches(html)
        .ToDictionary(m => m.Groups[1].Value, m => $"{m.Groups[2].Value} {m.Groups[3].Value}");

    private static List<string> Lines(string html, string kind) =>
        Regex.Matches(html, $"<div class=\"dl {kind}\" role=\"row\">([^<]*)</div>").Select(m => m.Groups[1].Value).ToList();

    [GeneratedRegex("<li><a href=\"[^\"]*\"><code>([^<]+)</code></a> <span class=\"muted\">[a-z]+</span> <span class=\"ins\">(\\+\\d+)</span> <span class=\"del\">(−\\d+)</span></li>")]
    private static partial Regex FileRow();
}
