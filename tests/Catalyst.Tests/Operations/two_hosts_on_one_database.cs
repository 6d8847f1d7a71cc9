using System.Net;
using System.Net.ServerSentEvents;
using Alba;
using Catalyst.Tasks.Domain;
using Catalyst.Tasks.Logs;
using Catalyst.Tasks.Nodes;
using Catalyst.Operator;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Tasks;
using Catalyst.Tests.Workspaces;
using JasperFx.CommandLine;
using Marten;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Wolverine;

namespace Catalyst.Tests.Operations;

/// <summary>
/// Two Hosts (nodes A and B) on one PostgreSQL database, as a scaled-out deployment runs them: a viewer on one node follows a
/// task running on the other, both nodes number one task's lines without gap or duplicate, and the system-wide workspace
/// limit holds across nodes.
/// </summary>
[Collection("integration")]
[Trait("Category", "MultiNode")]
public sealed class two_hosts_on_one_database(TestDatabase database) : IAsyncDisposable
{
    private const string Password = "a long password";
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();
    private readonly List<IAlbaHost> _hosts = [];
    private readonly List<string> _dataDirectories = [];
    // Nodes of one deployment share the credential encryption key: each node would otherwise make its own in its data directory.
    private readonly string _encryptionKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    public async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts) await host.DisposeAsync();
        _sandbox.Dispose();
        foreach (var directory in _dataDirectories)
            try { Directory.Delete(directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>The node's id and where its local workspaces are.</summary>
    private static (string Id, string Workspaces) NodeOf(IAlbaHost node) =>
        (node.Services.GetRequiredService<CatalystNode>().Id, node.Services.GetRequiredService<LocalWorkspaceOptions>().WorkspacesDirectory);

    /// <summary>A node: its own data directory (workspaces, keys), the shared database.</summary>
    private async Task<IAlbaHost> StartNode(string connection, string name, int? maxConcurrent = null, double? heartbeatTimeoutSeconds = null)
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), $"catalyst-node-{name}-{Guid.NewGuid():N}");
        _dataDirectories.Add(dataDirectory);
        JasperFxEnvironment.AutoStartHost = true;
        var host = await AlbaHost.For<Program>(web =>
        {
            web.UseEnvironment("Development");
            web.UseSetting("ConnectionStrings:Catalyst", connection);
            web.UseSetting("CATALYST_DATA_DIR", dataDirectory);
            web.UseSetting("Catalyst:EncryptionKey", _encryptionKey);
            web.UseSetting("Catalyst:Workspaces:StopGraceSeconds", "2");
            if (maxConcurrent is { } max) web.UseSetting("Catalyst:Workspaces:MaxConcurrent", max.ToString());
            if (heartbeatTimeoutSeconds is { } timeout) web.UseSetting(CatalystNode.HeartbeatTimeoutKey, timeout.ToString(System.Globalization.CultureInfo.InvariantCulture));
            foreach (var (key, value) in TestSettings.Values) web.UseSetting(key, value);
            web.ConfigureServices(services =>
            {
                services.AddSingleton(ScriptAgent.Definition);
                services.RunWolverineInSoloMode();
                services.DisableAllExternalWolverineTransports();
            });
        });
        _hosts.Add(host);
        return host;
    }

    private static async Task<PageClient> SignUp(IAlbaHost node, string email)
    {
        var client = new PageClient(node.Server.CreateHandler());
        (await client.PostFormAsync("/signup", new() { ["Email"] = email, ["Password"] = Password })).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        return client;
    }

    /// <summary>The same person signing in on the other node (each node has its own cookie keys).</summary>
    private static async Task<PageClient> SignIn(IAlbaHost node, string email)
    {
        var client = new PageClient(node.Server.CreateHandler());
        var response = await client.PostFormAsync("/signin", new() { ["Email"] = email, ["Password"] = Password });
        response.StatusCode.ShouldBe(HttpStatusCode.Redirect, await response.Content.ReadAsStringAsync());
        return client;
    }

    private static IDocumentStore Store(IAlbaHost node) => node.Services.GetRequiredService<IDocumentStore>();

    [Fact]
    public async Task a_viewer_on_one_node_follows_live_a_task_running_on_the_other()
    {
        var connection = await database.CreateDatabaseAsync("catalyst_two_hosts_live");
        var a = await StartNode(connection, "a");
        var b = await StartNode(connection, "b");
        using var onA = await SignUp(a, "ada@example.com");
        using var onB = await SignIn(b, "ada@example.com");
        await onA.CreateProjectAsync("live", _sandbox.Origin);
        var credential = await onA.AddScriptCredentialAsync(Store(a));

        const int ticks = 200;
        var taskId = await onA.StartTaskAsync("live", credential, $"for i in $(seq 1 {ticks}); do echo \"tick $i\"; sleep 0.03; done");

        using var response = await onB.OpenStreamAsync($"/projects/live/agents/{taskId}/events?format=json");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        var events = new List<SseItem<string>>();
        AgentTaskStatus? statusWhenTick30Arrived = null;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await foreach (var item in SseParser.Create(await response.Content.ReadAsStreamAsync(timeout.Token)).EnumerateAsync(timeout.Token))
        {
            events.Add(item);
            if (item.EventType == "log" && item.Data.Contains("\"tick 30\""))
            {
                await using var session = Store(a).QuerySession();
                statusWhenTick30Arrived = (await session.LoadAsync<AgentTask>(taskId))!.Status;
            }
        }

        // Node A ran it: node B's own scheduler never saw its creation.
        var task = await Store(a).WaitUntilFinishedAsync(taskId);
        task.Status.ShouldBe(AgentTaskStatus.Completed, task.Error);
        statusWhenTick30Arrived.ShouldBe(AgentTaskStatus.Running, "a line printed early reached node B's viewer while the task still ran");

        var logIds = events.Where(e => e.EventType == "log").Select(e => long.Parse(e.EventId!)).ToList();
        logIds.ShouldBe(Enumerable.Range(1, logIds.Count).Select(i => (long)i), "every line, in order, no gap, no duplicate");
        var stored = await a.Services.LogsAsync(taskId);
        logIds.Count.ShouldBe(stored.Count);
        events.Where(e => e.EventType == "log" && e.Data.Contains("\"tick ")).Count().ShouldBe(ticks);
        events.Where(e => e.EventType == "status").Select(e => e.Data).ShouldContain(d => d.Contains("running"));
        events.Last().EventType.ShouldBe("ended");
        events.Last().Data.ShouldContain("completed");
    }

    [Fact]
    public async Task lines_written_for_one_task_by_both_nodes_at_once_are_numbered_without_gap_or_duplicate()
    {
        var connection = await database.CreateDatabaseAsync("catalyst_two_hosts_numbers");
        var nodes = new[] { await StartNode(connection, "a"), await StartNode(connection, "b") };
        var taskId = Guid.NewGuid();
        const int writersPerNode = 3, batches = 40;

        var writes = nodes.SelectMany((node, n) => Enumerable.Range(0, writersPerNode).Select(w => Task.Run(async () =>
        {
            var writer = node.Services.GetRequiredService<TaskLogWriter>();
            for (var batch = 0; batch < batches; batch++)
            {
                var size = 1 + (batch + w) % 4;
                var entries = Enumerable.Range(0, size)
                    .Select(i => new NewLogEntry(DateTimeOffset.UtcNow, TaskLogLevel.Info, TaskLogKinds.System, $"node {n} writer {w} batch {batch} line {i}"))
                    .ToList();
                await writer.WriteAsync(taskId, entries, CancellationToken.None);
            }
        }))).ToList();
        await Task.WhenAll(writes);

        var expected = nodes.Length * Enumerable.Range(0, writersPerNode).Sum(w => Enumerable.Range(0, batches).Sum(batch => 1 + (batch + w) % 4));
        var lines = await nodes[1].Services.LogsAsync(taskId);
        lines.Count.ShouldBe(expected);
        lines.Select(l => l.Sequence).Order().ShouldBe(Enumerable.Range(1, expected).Select(i => (long)i));
        lines.Select(l => l.Message).Distinct().Count().ShouldBe(expected);
        lines.ShouldContain(l => l.Message.StartsWith("node 0 "));
        lines.ShouldContain(l => l.Message.StartsWith("node 1 "));
        // Within one writer, its lines keep the order it wrote them in.
        foreach (var group in lines.GroupBy(l => string.Join(' ', l.Message.Split(' ')[..4])))
        {
            var inSequence = group.OrderBy(l => l.Sequence).Select(l => l.Message).ToList();
            var asWritten = group.OrderBy(l => int.Parse(l.Message.Split(' ')[5])).ThenBy(l => int.Parse(l.Message.Split(' ')[7])).Select(l => l.Message).ToList();
            inSequence.ShouldBe(asWritten);
        }
    }

    [Fact]
    public async Task the_system_limit_on_running_workspaces_holds_across_nodes()
    {
        var connection = await database.CreateDatabaseAsync("catalyst_two_hosts_limit");
        var a = await StartNode(connection, "a", maxConcurrent: 1);
        var b = await StartNode(connection, "b", maxConcurrent: 1);
        using var onA = await SignUp(a, "ada@example.com");
        using var onB = await SignIn(b, "ada@example.com");
        await onA.CreateProjectAsync("limited", _sandbox.Origin, maxConcurrent: 10);
        var credential = await onA.AddScriptCredentialAsync(Store(a));

        using var watching = new CancellationTokenSource();
        var mostActiveAtOnce = 0;
        var watcher = Task.Run(async () =>
        {
            while (!watching.IsCancellationRequested)
            {
                await using var session = Store(a).QuerySession();
                var active = await session.Query<AgentTask>()
                    .CountAsync(t => t.Status == AgentTaskStatus.Provisioning || t.Status == AgentTaskStatus.Running);
                mostActiveAtOnce = Math.Max(mostActiveAtOnce, active);
                await Task.Delay(25);
            }
        });

        // Created through both nodes at once: each node's queue pass sees the other's tasks as pending.
        var created = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            (i % 2 == 0 ? onA : onB).StartTaskAsync("limited", credential, $"echo 'task {i}'; sleep 1")));

        var finished = new List<AgentTask>();
        foreach (var id in created) finished.Add(await Store(a).WaitUntilFinishedAsync(id, seconds: 180));
        await watching.CancelAsync();
        await watcher;

        finished.ShouldAllBe(t => t.Status == AgentTaskStatus.Completed, string.Join("; ", finished.Select(t => t.Error)));
        mostActiveAtOnce.ShouldBe(1);
        var runs = finished.OrderBy(t => t.StartedAt).ToList();
        for (var i = 1; i < runs.Count; i++)
            runs[i].StartedAt!.Value.ShouldBeGreaterThanOrEqualTo(runs[i - 1].EndedAt!.Value,
                $"task {runs[i].Id} started while {runs[i - 1].Id} still ran");
    }

    [Fact]
    public async Task a_node_starting_leaves_the_tasks_another_node_runs_alone()
    {
        var connection = await database.CreateDatabaseAsync("catalyst_two_hosts_join");
        var a = await StartNode(connection, "a");
        using var onA = await SignUp(a, "ada@example.com");
        await onA.CreateProjectAsync("joined", _sandbox.Origin);
        var credential = await onA.AddScriptCredentialAsync(Store(a));
        var taskId = await onA.StartTaskAsync("joined", credential, "echo 'started on node A'; sleep 8; echo 'still node A'");
        await Store(a).WaitForAsync(taskId, t => t.Status == AgentTaskStatus.Running);

        // Node B joins (or restarts) while node A's task runs: B's start-up settling must not take A's task for its own orphan.
        var b = await StartNode(connection, "b");
        var task = await Store(b).WaitUntilFinishedAsync(taskId);
        task.Status.ShouldBe(AgentTaskStatus.Completed, task.Error);
        (await a.Services.LogsAsync(taskId)).ShouldContain(l => l.Message == "still node A");
    }

    [Fact]
    public async Task a_task_running_on_one_node_is_cancelled_from_the_other_and_its_agent_stops()
    {
        var connection = await database.CreateDatabaseAsync("catalyst_two_hosts_cancel");
        var a = await StartNode(connection, "a");
        var b = await StartNode(connection, "b");
        using var onA = await SignUp(a, "ada@example.com");
        using var onB = await SignIn(b, "ada@example.com");
        await onA.CreateProjectAsync("cancelled", _sandbox.Origin);
        var credential = await onA.AddScriptCredentialAsync(Store(a));
        var taskId = await onA.StartTaskAsync("cancelled", credential, "echo 'long job on node A'; sleep 300 & sleep 300");
        var running = await Store(a).WaitForAsync(taskId, t => t.Status == AgentTaskStatus.Running);
        running.Node.ShouldBe(NodeOf(a).Id);
        ProcessTable.OfTask(taskId).ShouldNotBeEmpty();

        // Node B decides the cancel; node A runs the agent and must stop it.
        var cancel = await onB.PostFormAsync($"/projects/cancelled/agents/{taskId}?handler=Cancel", new(), formPage: $"/projects/cancelled/agents/{taskId}");
        cancel.StatusCode.ShouldBe(HttpStatusCode.Redirect, await cancel.Content.ReadAsStringAsync());

        var task = await Store(b).WaitUntilFinishedAsync(taskId);
        task.Status.ShouldBe(AgentTaskStatus.Cancelled, task.Error);
        task.Error.ShouldBe("Cancelled; the agent was stopped.");
        ProcessTable.OfTask(taskId).ShouldBeEmpty();
        Directory.Exists(Path.Combine(NodeOf(a).Workspaces, taskId.ToString())).ShouldBeFalse();
    }

    [Fact]
    public async Task a_plan_kept_on_one_node_is_approved_on_the_other_and_carried_out_where_it_was_kept()
    {
        var connection = await database.CreateDatabaseAsync("catalyst_two_hosts_plan");
        var a = await StartNode(connection, "a");
        var b = await StartNode(connection, "b");
        using var onA = await SignUp(a, "ada@example.com");
        using var onB = await SignIn(b, "ada@example.com");
        await onA.CreateProjectAsync("planned", _sandbox.Origin);
        var credential = await onA.AddScriptCredentialAsync(Store(a));
        var created = await onA.PostFormAsync("/projects/planned/agents/new", new()
        {
            ["Type"] = "feature-dev", ["Provider"] = ScriptAgent.Name, ["CredentialId"] = credential.ToString(), ["PlanFirst"] = "true",
            ["Instructions"] = """
                if [ "$1" = plan ]; then echo "1. Write NOTES.md"; exit 0; fi
                echo "carried out"
                echo notes > NOTES.md && git add NOTES.md && git commit -qm "Add notes"
                """,
        });
        created.StatusCode.ShouldBe(HttpStatusCode.Redirect, await created.Content.ReadAsStringAsync());
        var taskId = Guid.Parse(created.Headers.Location!.ToString().Split('/').Last());
        var waiting = await Store(a).WaitForAsync(taskId, t => t.Status == AgentTaskStatus.AwaitingApproval || t.Status.IsFinished());
        waiting.Status.ShouldBe(AgentTaskStatus.AwaitingApproval, waiting.Error);
        waiting.Node.ShouldBe(NodeOf(a).Id);

        var approve = await onB.PostFormAsync($"/projects/planned/agents/{taskId}?handler=Approve", new());
        approve.StatusCode.ShouldBe(HttpStatusCode.Redirect, await approve.Content.ReadAsStringAsync());

        var task = await Store(b).WaitUntilFinishedAsync(taskId);
        task.Status.ShouldBe(AgentTaskStatus.Completed, task.Error);
        task.Node.ShouldBe(NodeOf(a).Id);
        task.Commits.ShouldHaveSingleItem().Message.ShouldBe("Add notes");
        _sandbox.OriginBranch(task.WorkBranch).ShouldBe(task.Commits[0].Sha);
        var logs = await b.Services.LogsAsync(taskId);
        // The execution needs the clone its plan left: it completes only where the plan was kept.
        logs.ShouldContain(l => l.Message == "carried out");
        Directory.Exists(Path.Combine(NodeOf(b).Workspaces, taskId.ToString())).ShouldBeFalse("node B never ran a workspace of it");
    }
}
