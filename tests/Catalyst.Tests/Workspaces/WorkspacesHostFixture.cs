using System.Collections.Concurrent;
using Alba;
using Catalyst.Contracts;
using Catalyst.Operator;
using Catalyst.Tests.Infrastructure;
using JasperFx.CommandLine;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Wolverine;
using Wolverine.Tracking;

namespace Catalyst.Tests.Workspaces;

/// <summary>The Host in memory with the local workspace backend; credentials come from <see cref="Credentials"/> instead of the Credentials module.</summary>
public sealed class WorkspacesHostFixture(TestDatabase database) : IAsyncLifetime
{
    public IAlbaHost Host { get; private set; } = null!;
    public StubCredentials Credentials { get; } = new();
    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), $"catalyst-ws-host-{Guid.NewGuid():N}");

    public async ValueTask InitializeAsync()
    {
        var connection = await database.CreateDatabaseAsync("catalyst_workspaces");
        JasperFxEnvironment.AutoStartHost = true;
        Host = await AlbaHost.For<Program>(web =>
        {
            web.UseEnvironment("Development");
            web.UseSetting("ConnectionStrings:Catalyst", connection);
            web.UseSetting("CATALYST_DATA_DIR", DataDirectory);
            web.UseSetting("Catalyst:Workspaces:StopGraceSeconds", "3");
            foreach (var (key, value) in TestSettings.Values) web.UseSetting(key, value);
            web.ConfigureServices(services =>
            {
                services.RunWolverineInSoloMode();
                services.DisableAllExternalWolverineTransports();
            });
            web.ConfigureTestServices(services => services.AddSingleton<IWorkspaceCredentialSource>(Credentials));
        });
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
    }
}

public sealed class StubCredentials : IWorkspaceCredentialSource
{
    private readonly ConcurrentDictionary<Guid, TaskAccess> _credentials = new();

    /// <summary>Tasks whose token the backend gave back, in order.</summary>
    public ConcurrentQueue<Guid> Revoked { get; } = new();

    /// <summary>The access a task gets whose credential id is <paramref name="access"/>'s task id (a stand-in's own id).</summary>
    public void Add(TaskAccess access) => _credentials[access.TaskId] = access;

    public Task<TaskAccess?> IssueAsync(WorkspaceSpec spec, CancellationToken cancellationToken) =>
        Task.FromResult(_credentials.TryGetValue(spec.CredentialId, out var access) ? access with { TaskId = spec.TaskId } : null);

    public Task RevokeAsync(Guid taskId, CancellationToken cancellationToken)
    {
        Revoked.Enqueue(taskId);
        return Task.CompletedTask;
    }
}

/// <summary>Collects the workspace messages the backend publishes for one task (whether or not a handler takes them yet) until it ends.</summary>
public sealed class WorkspaceMessages(Guid taskId) : ITrackedCondition
{
    private readonly HashSet<Guid> _seen = [];
    private readonly List<object> _messages = [];

    public IReadOnlyList<object> Messages
    {
        get { lock (_messages) return _messages.ToArray(); }
    }

    public WorkspaceExited? Exited => Messages.OfType<WorkspaceExited>().SingleOrDefault();

    public IReadOnlyList<OutputLine> Lines => Messages.OfType<AgentOutput>().SelectMany(o => o.Lines).ToArray();

    public void Record(EnvelopeRecord record)
    {
        if (record.MessageEventType is not (MessageEventType.Sent or MessageEventType.NoRoutes or MessageEventType.ExecutionStarted) || record.Envelope is null) return;
        var message = record.Envelope.Message;
        var belongs = message switch
        {
            WorkspaceProvisioned m => m.TaskId == taskId,
            AgentStarted m => m.TaskId == taskId,
            AgentOutput m => m.TaskId == taskId,
            WorkspaceExited m => m.TaskId == taskId,
            _ => false,
        };
        lock (_messages)
            if (belongs && _seen.Add(record.Envelope.Id)) _messages.Add(message!);
    }

    public bool IsCompleted() => Exited is not null;

    public override string ToString() => $"WorkspaceExited for task {taskId}";
}

[CollectionDefinition("workspaces-host")]
public sealed class WorkspacesHostCollection : ICollectionFixture<WorkspacesHostFixture>;
