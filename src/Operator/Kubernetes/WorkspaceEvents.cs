using Wolverine;
using Wolverine.Runtime;

namespace Catalyst.Operator.Kubernetes;

/// <summary>Where the operator sends what the local backend publishes in process (WorkspaceProvisioned, AgentStarted, AgentOutput, WorkspaceExited).</summary>
public interface IWorkspaceEvents
{
    ValueTask PublishAsync(object message, CancellationToken cancellationToken);
}

/// <summary>Through Wolverine: in the operator process these are routed to the Host's PostgreSQL queue (durable outbox).</summary>
public sealed class WolverineWorkspaceEvents(IWolverineRuntime runtime) : IWorkspaceEvents
{
    public ValueTask PublishAsync(object message, CancellationToken cancellationToken) => new MessageBus(runtime).PublishAsync(message);
}
