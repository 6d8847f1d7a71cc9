using Catalyst.Contracts;
using Catalyst.Operator.Workspaces;
using Microsoft.Extensions.Logging.Abstractions;

namespace Catalyst.Tests.Workspaces.Launch;

public sealed class the_output_pump_keeps_lines_and_messages_in_order
{
    [Fact]
    public async Task lines_go_in_batches_and_a_message_between_them_stays_where_it_was_written()
    {
        var taskId = Guid.NewGuid();
        var published = new List<object>();
        var pump = new WorkspaceOutputPump(taskId, m => { lock (published) published.Add(m); return ValueTask.CompletedTask; }, NullLogger.Instance, TimeProvider.System);
        var at = DateTimeOffset.UtcNow;
        for (var i = 0; i < 1200; i++) await pump.WriteAsync(new OutputLine(at, OutputStream.Stdout, $"before {i}"));
        await pump.WriteAsync(new AgentStarted(taskId, at));
        for (var i = 0; i < 3; i++) await pump.WriteAsync(new OutputLine(at, OutputStream.Stdout, $"after {i}"));
        pump.Complete();
        await pump.Completion;
        await pump.TryWriteAsync(new OutputLine(at, OutputStream.Stdout, "too late"));

        var started = published.FindIndex(m => m is AgentStarted);
        var before = published.Take(started).Cast<AgentOutput>().ToArray();
        var after = published.Skip(started + 1).Cast<AgentOutput>().ToArray();
        before.ShouldAllBe(b => b.TaskId == taskId && b.Lines.Count > 0 && b.Lines.Count <= WorkspaceOutputPump.MaxBatchLines);
        before.SelectMany(b => b.Lines).Select(l => l.Text).ShouldBe(Enumerable.Range(0, 1200).Select(i => $"before {i}"));
        after.SelectMany(b => b.Lines).Select(l => l.Text).ShouldBe(["after 0", "after 1", "after 2"]);
    }
}
