using Catalyst.Contracts;

namespace Catalyst.Tasks.Domain;

// A parallel request: one parent task with no workspace of its own, and N runs, each a whole AgentTask of its own.

/// <summary>On the parent: the runs it fanned out into, in order (run 1 first).</summary>
public sealed record ParallelRunsStarted(IReadOnlyList<Guid> RunIds, DateTimeOffset At);

/// <summary>On a run: the parallel request it is run <see cref="Number"/> of.</summary>
public sealed record RunOfParallelTask(Guid ParentId, int Number, int Of, DateTimeOffset At);

/// <summary>On the parent: one of its runs ended, and how.</summary>
public sealed record ParallelRunEnded(Guid RunId, int Number, string ProviderDisplayName, AgentTaskStatus Status, string? Detail, DateTimeOffset At);

/// <summary>On the parent: every run has ended and at least one completed; its owner picks one.</summary>
public sealed record ParallelRunsAwaitingChoice(int Completed, int Of, DateTimeOffset At);

/// <summary>On the parent: the run whose branch, commits and summary are the request's result.</summary>
public sealed record RunChosen(Guid RunId, int Number, string ProviderDisplayName, Guid By, string Branch, IReadOnlyList<CommitInfo> Commits,
    bool Pushed, string? PushError, string? Summary, DateTimeOffset At);

public sealed partial record AgentTask
{
    /// <summary>The provider name a parallel request is stored under: it runs no agent itself.</summary>
    public const string ParallelProvider = "parallel";

    public const int MinRuns = 2;
    public const int MaxRuns = 5;

    /// <summary>On a run: its parallel request.</summary>
    public Guid? ParentId { get; init; }

    /// <summary>On a run: its place among the request's runs, from 1.</summary>
    public int RunNumber { get; init; }

    /// <summary>On a parallel request: its runs, in order.</summary>
    public IReadOnlyList<Guid> RunIds { get; init; } = [];

    public IReadOnlyList<Guid> EndedRunIds { get; init; } = [];
    public IReadOnlyList<Guid> CompletedRunIds { get; init; } = [];
    public Guid? ChosenRunId { get; init; }

    public bool IsParallel => RunIds.Count > 0;

    /// <summary>
    /// A run's branch: the request's random part and the run's number, so the runs of one request sit side by side and never
    /// share a branch (ids made in the same minute share their first eight hex digits).
    /// </summary>
    public static string BranchForRun(Guid parentId, int number) => $"catalyst/{ShortId(parentId)}-run{number}";

    // The request has no branch of its own until a run is chosen.
    public AgentTask Apply(ParallelRunsStarted e) => this with { RunIds = e.RunIds, Status = AgentTaskStatus.Running, StartedAt = e.At, WorkBranch = "" };
    public AgentTask Apply(RunOfParallelTask e) => this with { ParentId = e.ParentId, RunNumber = e.Number, WorkBranch = BranchForRun(e.ParentId, e.Number) };

    public AgentTask Apply(ParallelRunEnded e) => EndedRunIds.Contains(e.RunId) ? this : this with
    {
        EndedRunIds = [.. EndedRunIds, e.RunId],
        CompletedRunIds = e.Status == AgentTaskStatus.Completed ? [.. CompletedRunIds, e.RunId] : CompletedRunIds,
    };

    public AgentTask Apply(ParallelRunsAwaitingChoice _) => this with { Status = AgentTaskStatus.AwaitingChoice };

    public AgentTask Apply(RunChosen e) => this with
    {
        ChosenRunId = e.RunId, WorkBranch = e.Branch, Commits = e.Commits, BranchPushed = e.Pushed, PushError = e.PushError, Summary = e.Summary,
    };
}
