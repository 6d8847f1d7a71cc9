using Catalyst.Tasks.Domain;
using Catalyst.Tasks.Queue;

namespace Catalyst.Tests.Unit;

/// <summary>The scheduler's choice (<see cref="StartQueuedTasksHandler.Choose"/>) when several people queue at once.</summary>
public sealed class the_queue_shares_slots_fairly_among_users
{
    private static readonly Guid Project = Guid.NewGuid(), Other = Guid.NewGuid();
    private static readonly Guid[] Users = [Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid()];
    private static Guid Ada => Users[0];
    private static Guid Bob => Users[1];

    private static AgentTask Task(Guid user, int second, Guid? project = null, AgentTaskStatus status = AgentTaskStatus.Pending) => new()
    {
        Id = Guid.NewGuid(), ProjectId = project ?? Project, CreatedBy = user, Status = status, CreatedAt = DateTimeOffset.UnixEpoch.AddSeconds(second),
    };

    [Fact]
    public void a_person_with_fewer_tasks_running_goes_ahead_of_older_tasks_of_a_busier_one()
    {
        var running = Enumerable.Range(0, 3).Select(i => Task(Ada, i, status: AgentTaskStatus.Running)).ToList();
        var waiting = new[] { Task(Ada, 10), Task(Ada, 11), Task(Bob, 20), Task(Bob, 21) };
        var chosen = StartQueuedTasksHandler.Choose(running, waiting, new TaskLimits(5, 10), _ => 10);
        chosen.ShouldBe([waiting[2], waiting[3]]);
    }

    [Fact]
    public void among_people_running_as_many_the_oldest_waiting_task_goes_first()
    {
        var waiting = new[] { Task(Bob, 2), Task(Ada, 1), Task(Bob, 3) };
        StartQueuedTasksHandler.Choose([], waiting, new TaskLimits(1, 10), _ => 10).ShouldBe([waiting[1]]);
        StartQueuedTasksHandler.Choose([], waiting, new TaskLimits(3, 10), _ => 10).ShouldBe([waiting[1], waiting[0], waiting[2]]);
    }

    [Fact]
    public void the_fairest_person_whose_project_is_full_is_passed_over_and_the_limits_still_hold()
    {
        // Bob runs nothing, but his only project is at its limit: Ada's task in another project goes ahead.
        var running = new[] { Task(Ada, 0, Other, AgentTaskStatus.Running) };
        var waiting = new[] { Task(Bob, 1, Other), Task(Ada, 2, Project), Task(Ada, 3, Project), Task(Ada, 4, Project) };
        var chosen = StartQueuedTasksHandler.Choose(running, waiting, new TaskLimits(10, 3), p => p == Other ? 1 : 10);
        chosen.ShouldBe([waiting[1], waiting[2]]); // Ada's own limit of 3 stops the third
    }

    [Fact]
    public void a_fair_share_is_the_max_min_share_of_the_slots()
    {
        StartQueuedTasksHandler.FairShare([50, 50, 50, 50], 16).ShouldBe(4);
        StartQueuedTasksHandler.FairShare([2, 50, 50, 50], 16).ShouldBe(5); // 2 + 5 + 5 + 5 ≥ 16
        StartQueuedTasksHandler.FairShare([1, 2, 3], 16).ShouldBe(3);
        StartQueuedTasksHandler.FairShare([0, 40], 16).ShouldBe(16);
        StartQueuedTasksHandler.FairShare([], 16).ShouldBe(0);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void four_people_queueing_two_hundred_tasks_at_once_never_wait_while_another_runs_more_than_a_fair_share(int seed)
    {
        // The worst order for a first-come queue: all of Ada's 50 tasks are older than anyone else's.
        var pending = Users.SelectMany((user, u) => Enumerable.Range(0, 50).Select(i => Task(user, u * 50 + i))).ToList();
        var running = new List<AgentTask>();
        var limits = new TaskLimits(16, 16);
        var random = new Random(seed);
        var completed = 0;
        while (pending.Count > 0 || running.Count > 0)
        {
            var chosen = StartQueuedTasksHandler.Choose(running, pending, limits, _ => 16);
            foreach (var task in chosen) { pending.Remove(task); running.Add(task); }

            running.Count.ShouldBeLessThanOrEqualTo(16);
            var runningBy = Users.ToDictionary(u => u, u => running.Count(t => t.CreatedBy == u));
            var share = StartQueuedTasksHandler.FairShare(Users.Select(u => runningBy[u] + pending.Count(t => t.CreatedBy == u)), 16);
            foreach (var waiter in Users.Where(u => pending.Any(t => t.CreatedBy == u)))
            foreach (var other in Users.Where(u => u != waiter))
                runningBy[other].ShouldBeLessThanOrEqualTo(share, $"a person waits while another runs {runningBy[other]} (fair share {share})");

            // Tasks end in no particular order, one or two at a time.
            for (var ends = random.Next(1, 3); ends > 0 && running.Count > 0; ends--)
            {
                running.RemoveAt(random.Next(running.Count));
                completed++;
            }
        }
        completed.ShouldBe(200);
    }
}
