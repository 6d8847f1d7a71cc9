using System.Threading.Channels;
using Catalyst.Contracts;
using Catalyst.Operator.Workspaces;
using Microsoft.Extensions.Logging.Abstractions;

namespace Catalyst.Tests.Workspaces.Launch;

public sealed class the_first_line_after_a_quiet_spell_goes_at_once
{
    [Fact]
    public async Task the_agents_first_line_is_published_without_waiting_and_the_lines_right_after_it_wait_for_one_batch()
    {
        var taskId = Guid.NewGuid();
        var published = Channel.CreateUnbounded<object>();
        // A clock that never moves: anything that waits for the flush interval waits until the pump is completed.
        var pump = new WorkspaceOutputPump(taskId, m => { published.Writer.TryWrite(m); return ValueTask.CompletedTask; }, NullLogger.Instance, new StillClock());
        var at = DateTimeOffset.UtcNow;

        await pump.WriteAsync(new OutputLine(at, OutputStream.Stdout, "first"));
        var first = await published.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        first.ShouldBeOfType<AgentOutput>().Lines.Select(l => l.Text).ShouldBe(["first"]);

        await pump.WriteAsync(new OutputLine(at, OutputStream.Stdout, "second"));
        await pump.WriteAsync(new OutputLine(at, OutputStream.Stdout, "third"));
        pump.Complete();
        await pump.Completion;
        published.Writer.Complete();
        var rest = new List<AgentOutput>();
        await foreach (var message in published.Reader.ReadAllAsync()) rest.Add(message.ShouldBeOfType<AgentOutput>());
        rest.Count.ShouldBe(1);
        rest[0].Lines.Select(l => l.Text).ShouldBe(["second", "third"]);
    }

    [Fact]
    public async Task the_runners_progress_lines_go_at_once_and_do_not_hold_back_the_agents_first_line()
    {
        var published = Channel.CreateUnbounded<object>();
        var pump = new WorkspaceOutputPump(Guid.NewGuid(), m => { published.Writer.TryWrite(m); return ValueTask.CompletedTask; }, NullLogger.Instance, new StillClock());
        var at = DateTimeOffset.UtcNow;
        async Task<IReadOnlyList<string>> Next() =>
            (await published.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30))).ShouldBeOfType<AgentOutput>().Lines.Select(l => l.Text).ToList();

        await pump.WriteAsync(new OutputLine(at, OutputStream.System, "branch catalyst/1 from main"));
        (await Next()).ShouldBe(["branch catalyst/1 from main"]);
        await pump.WriteAsync(new OutputLine(at, OutputStream.System, "agent started: bash"));
        (await Next()).ShouldBe(["agent started: bash"]);
        await pump.WriteAsync(new OutputLine(at, OutputStream.Stdout, "the agent's first line"));
        (await Next()).ShouldBe(["the agent's first line"]);

        // Output right after output waits for the interval (the clock never moves: until the pump completes).
        await pump.WriteAsync(new OutputLine(at, OutputStream.Stdout, "second"));
        await Task.Delay(200);
        published.Reader.TryRead(out _).ShouldBeFalse("output right after output waits for the interval");
        pump.Complete();
        await pump.Completion;
        (await Next()).ShouldBe(["second"]);
    }

    private sealed class StillClock : TimeProvider
    {
        public override long GetTimestamp() => 0;
        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) => new NeverTimer();

        private sealed class NeverTimer : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => true;
            public void Dispose() { }
            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
