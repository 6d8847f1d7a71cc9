using Catalyst.Contracts;
using Catalyst.Operator;

namespace Catalyst.Tests.Workspaces;

public sealed class agent_output_keeps_its_order : IDisposable
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public async Task twenty_thousand_lines_arrive_in_order_in_batches_of_at_most_500()
    {
        var agent = _sandbox.Agent("""
            for ((i = 1; i <= 20000; i++)); do echo "line $i"; done
            for ((i = 1; i <= 300; i++)); do echo "err $i" >&2; done
            """);
        var events = new PublishedEvents();
        var runner = new LocalWorkspaceRunner(_sandbox.Spec(Guid.NewGuid(), agent), WorkspaceSandbox.Credential(), _sandbox.Options(), events.Publish);

        var exited = await runner.RunAsync().WaitAsync(TimeSpan.FromSeconds(60));

        exited.End.ShouldBe(WorkspaceEnd.Exited, exited.Error);
        events.Text(OutputStream.Stdout).ShouldBe(Enumerable.Range(1, 20000).Select(i => $"line {i}"));
        events.Text(OutputStream.Stderr).ShouldBe(Enumerable.Range(1, 300).Select(i => $"err {i}"));
        var batches = events.All.OfType<AgentOutput>().ToArray();
        batches.ShouldAllBe(b => b.Lines.Count > 0 && b.Lines.Count <= LocalWorkspaceRunner.MaxBatchLines);
        batches.Length.ShouldBeLessThan(20300 / 10);
        events.Lines.Where(l => l.Stream == OutputStream.Stdout).Select(l => l.At).ShouldBeInOrder();
    }
}
