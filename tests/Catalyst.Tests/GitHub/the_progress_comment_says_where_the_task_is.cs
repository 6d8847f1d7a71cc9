using Catalyst.Integrations.GitHub;
using Microsoft.Extensions.Configuration;

namespace Catalyst.Tests.GitHub;

public sealed class the_progress_comment_says_where_the_task_is
{
    private static readonly Guid TaskId = Guid.Parse("01a229c6-1235-7a35-a899-6fdec71149ba");
    private static readonly GitHubOptions Options = new(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Catalyst:PublicUrl"] = "https://catalyst.example/" }).Build());
    private static readonly GitHubTaskThread Thread = new() { Id = TaskId, Repository = "acme/shop", Number = 7, Title = "Typo", RequestedBy = "ada", ProgressCommentId = 1 };
    private static readonly DateTimeOffset Start = new(2026, 11, 29, 14, 2, 0, TimeSpan.Zero);

    private static AgentTaskReport Report(AgentTaskStatus status) => new(TaskId, Guid.NewGuid(), "shop", "issue-fix", new TaskContext("issue", 7), new TaskOrigin("github", "ada", "acme/shop"),
        Guid.NewGuid(), "Claude Code", status, null, null, null, "catalyst/c71149ba", false, [], null, 0, null, Start.AddMinutes(-1), null, null);

    [Fact]
    public void queued_and_running_say_so_with_the_agent_the_requester_and_the_task_link()
    {
        var queued = ProgressComment.Render(Report(AgentTaskStatus.Pending), Thread, Options);
        queued.ShouldContain("⏳ Queued");
        queued.ShouldContain("Claude Code · requested by @ada");
        queued.ShouldContain("(https://catalyst.example/projects/shop/agents/01a229c6-1235-7a35-a899-6fdec71149ba)");
        queued.ShouldContain(StartTaskFromGitHubHandler.Marker);
        ProgressComment.Render(Report(AgentTaskStatus.Running) with { StartedAt = Start }, Thread, Options).ShouldContain("🏃 Running since 14:02 UTC");
    }

    [Fact]
    public void the_first_comment_names_the_agent_the_requester_and_links_the_task()
    {
        var first = ProgressComment.Starting(TaskId, "shop", "Claude Code", "ada", Options);
        first.ShouldContain("**Catalyst is working on this** · Claude Code · requested by @ada");
        first.ShouldContain("[task c71149ba](https://catalyst.example/projects/shop/agents/01a229c6-1235-7a35-a899-6fdec71149ba)");
        StartTaskFromGitHubHandler.MentionOf(first, "@ada").ShouldBeNull(); // never read back as a request
    }

    [Fact]
    public void a_plan_waiting_for_approval_is_folded_into_the_comment_and_cut_when_long()
    {
        var plan = ProgressComment.Render(Report(AgentTaskStatus.AwaitingApproval) with { Plan = "1. Read the README\n2. Fix the typo" }, Thread, Options);
        plan.ShouldContain("waits for its approval");
        plan.ShouldContain("<details><summary>The plan</summary>");
        plan.ShouldContain("2. Fix the typo");
        var huge = ProgressComment.Render(Report(AgentTaskStatus.AwaitingApproval) with { Plan = new string('x', 30_000) }, Thread, Options);
        huge.ShouldContain("[cut: the whole plan is on the task page]");
        huge.Length.ShouldBeLessThan(ProgressComment.MaxPlanChars + 2_000);
    }

    [Fact]
    public void done_lists_the_result_commits_branch_pull_request_tokens_cost_and_duration()
    {
        var done = ProgressComment.Render(Report(AgentTaskStatus.Completed) with
        {
            StartedAt = Start, EndedAt = Start.AddMinutes(3).AddSeconds(12), Summary = "1 commit on catalyst/c71149ba", BranchPushed = true,
            Commits = [new CommitInfo("4f1c2d9e0b", "Fix the typo\n\nbody", 2, 14, 3)], TotalTokens = 120_431, CostUsd = 0.42m,
            PullRequestUrl = "https://github.example/acme/shop/pull/900",
        }, Thread, Options);
        done.ShouldContain("✅ Done in 3m 12s.");
        done.ShouldContain("**Result:** 1 commit on catalyst/c71149ba");
        done.ShouldContain("- `4f1c2d9` Fix the typo (2 files, +14 −3)");
        done.ShouldContain("**Pull request:** https://github.example/acme/shop/pull/900");
        done.ShouldContain("Tokens: 120,431 · cost $0.42");
    }

    [Fact]
    public void a_failure_gives_the_error_and_how_to_retry()
    {
        var failed = ProgressComment.Render(Report(AgentTaskStatus.TimedOut) with { StartedAt = Start, EndedAt = Start.AddSeconds(30), Error = "Stopped at the project's time limit of 30 s." }, Thread, Options);
        failed.ShouldContain("❌ Timed out after 30s: Stopped at the project's time limit of 30 s.");
        failed.ShouldContain("press Retry on the [task page](https://catalyst.example/projects/shop/agents/");
    }
}
