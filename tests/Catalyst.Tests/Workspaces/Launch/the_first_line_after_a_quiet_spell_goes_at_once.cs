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
