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
        foreach (var process in _processes) await process.DisposeAsync();
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

    private readonly List<HostProcess> _processes = [];

    /// <summary>The environment of a node run as its own process (the Host as deployed): the shared database and key, the tests' settings.</summary>
    private Dictionary<string, string> ProcessSettings(string connection, string dataDirectory, Dictionary<string, string>? extra = null)
    {
        // It must exist: without it, ASP.NET keeps its default key ring beside the Host's program, one folder for every
        // node started from the same build, and a cookie of one node would pass on the other without the shared keys.
        var home = Directory.CreateDirectory(Path.Combine(dataDirectory, "home")).FullName;
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings__Catalyst"] = connection,
            ["Catalyst__EncryptionKey"] = _encryptionKey,
            ["Catalyst__Workspaces__StopGraceSeconds"] = "2",
            // A HOME of its own: nothing (ASP.NET's default key folder included) is shared through the test machine's home.
            ["HOME"] = home,
        };
        foreach (var (key, value) in TestSettings.Values)
            if (value is not null) settings[key.Replace(":", "__")] = value;
        foreach (var (key, value) in extra ?? []) settings[key] = value;
        return settings;
    }

    /// <summary>A node as a process of its own, which a test may kill -9.</summary>
    private async Task<(HostProcess Host, Uri Address)> StartProcessNode(string connection, string dataDirectory, int port, Dictionary<string, string>? extra = null)
    {
        if (!_dataDirectories.Contains(dataDirectory)) _dataDirectories.Add(dataDirectory);
        var host = await HostProcess.StartAsync(dataDirectory, port, ProcessSettings(connection, dataDirectory, extra));
        _processes.Add(host);
        return (host, new Uri($"http://127.0.0.1:{port}"));
    }

    private static string NewDataDirectory(string name) => Path.Combine(Path.GetTempPath(), $"catalyst-node-{name}-{Guid.NewGuid():N}");

    private static async Task<PageClient> SignInOver(Uri node, string email)
    {
        var client = new PageClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }, node);
        var response = await client.PostFormAsync("/signin", new() { ["Email"] = email, ["Password"] = Password });
        response.StatusCode.ShouldBe(HttpStatusCode.Redirect, await response.Content.ReadAsStringAsync());
        return client;
    }

    /// <summary>Agents a killed node left behind (in their own sessions): the test ends them, as that node's restart would.</summary>
    private static void KillAgentsUnder(string dataDirectory) =>
        WorkspaceProcesses.KillAll(WorkspaceProcesses.FindByEnvironment($"CATALYST_WORKSPACE={Path.Combine(dataDirectory, "workspaces")}/"));

    private static async Task WaitForLineAsync(IAlbaHost node, Guid taskId, string line, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!(await node.Services.LogsAsync(taskId)).Any(l => l.Message == line))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Task {taskId} never logged “{line}”.");
            await Task.Delay(100);
        }
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

    /// <summary>
    /// A node keeps its answers to "is this session open" and "is this person a member" (they are asked on every page);
    /// a member removed or an account disabled on the other node holds on this one within moments, not when the kept
    /// answer runs out (30 s).
    /// </summary>
    [Fact]
    public async Task a_membership_ended_or_an_account_disabled_on_one_node_holds_at_once_on_the_other()
    {
        var connection = await database.CreateDatabaseAsync("catalyst_two_hosts_checks");
        var a = await StartNode(connection, "a");
        var b = await StartNode(connection, "b");
        using var adaOnA = await SignUp(a, "ada@example.com");
        (await SignUp(a, "bob@example.com")).Dispose();
        await adaOnA.CreateProjectAsync("shared", _sandbox.Origin);
        (await adaOnA.PostFormAsync("/projects/shared?handler=AddMember", new() { ["Email"] = "bob@example.com" }, formPage: "/projects/shared"))
            .StatusCode.ShouldBe(HttpStatusCode.Redirect);
        using var bobOnB = await SignIn(b, "bob@example.com");
        Guid bobId;
        await using (var session = Store(a).QuerySession())
            bobId = (await session.Query<Catalyst.Host.Accounts.CatalystUser>().SingleAsync(u => u.Email == "bob@example.com")).Id;

        // Node B answers bob's pages (and keeps the answers).
        for (var i = 0; i < 3; i++)
        {
            (await bobOnB.GetAsync("/projects/shared/agents")).StatusCode.ShouldBe(HttpStatusCode.OK);
            (await bobOnB.GetHtmlAsync("/tasks")).ShouldContain("<option value=\"shared\">");
        }

        // Node A removes bob from the project: node B stops showing it to him.
        (await adaOnA.PostFormAsync($"/projects/shared?handler=RemoveMember&memberId={bobId}", new(), formPage: "/projects/shared"))
            .StatusCode.ShouldBe(HttpStatusCode.Redirect);
        await WithinSecondsAsync(3, async () => (await bobOnB.GetAsync("/projects/shared/agents")).StatusCode == HttpStatusCode.NotFound,
            "node B still listed the tasks of a project bob was removed from on node A");
        (await bobOnB.GetHtmlAsync("/tasks")).ShouldNotContain("<option value=\"shared\">");

        // Node A disables bob's account: his session on node B no longer opens a page.
        (await bobOnB.GetAsync("/projects")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await adaOnA.PostFormAsync($"/settings/users?handler=Disable&id={bobId}", new(), formPage: "/settings/users")).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        await WithinSecondsAsync(3, async () => (await bobOnB.GetAsync("/projects")).StatusCode == HttpStatusCode.Redirect,
            "bob's session on node B still opened pages after node A disabled his account");
    }

    private static async Task WithinSecondsAsync(int seconds, Func<Task<bool>> holds, string otherwise)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await holds())
        {
            if (DateTime.UtcNow > deadline) throw new ShouldAssertException($"{otherwise} ({seconds} s later)");
            await Task.Delay(50);
        }
    }

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
    public async Task a_queued_task_has_the_same_place_in_the_queue_on_every_node()
    {
        var connection = await database.CreateDatabaseAsync("catalyst_two_hosts_queue");
        var a = await StartNode(connection, "a", maxConcurrent: 1);
        var b = await StartNode(connection, "b", maxConcurrent: 1);
        using var onA = await SignUp(a, "ada@example.com");
        using var onB = await SignIn(b, "ada@example.com");
        await onA.CreateProjectAsync("queued", _sandbox.Origin, maxConcurrent: 10);
        var credential = await onA.AddScriptCredentialAsync(Store(a));
        await using var mcpA = await ConnectMcp(a, onA);
        await using var mcpB = await ConnectMcp(b, onB);

        var holder = await onA.StartTaskAsync("queued", credential, "echo 'holding the only slot'; sleep 300");
        await Store(a).WaitForAsync(holder, t => t.Status == AgentTaskStatus.Running);
        // Created through both nodes in turn: each node's scheduler and pages learn of the other's tasks only through the database.
        var queued = new List<Guid>();
        for (var i = 0; i < 4; i++) queued.Add(await (i % 2 == 0 ? onB : onA).StartTaskAsync("queued", credential, $"echo 'queued {i}'; sleep 300"));
        foreach (var id in queued) (await Store(b).WaitForAsync(id, t => t.Status == AgentTaskStatus.Pending)).Status.ShouldBe(AgentTaskStatus.Pending);

        async Task PlacesAre(IReadOnlyList<Guid> tasks, IReadOnlyList<int?> expected)
        {
            for (var i = 0; i < tasks.Count; i++)
                foreach (var (node, page, mcp) in new[] { ("A", onA, mcpA), ("B", onB, mcpB) })
                {
                    (await PlaceOnPage(page, tasks[i])).ShouldBe(expected[i], $"task {i} on node {node}'s page");
                    (await PlaceOverMcp(mcp, tasks[i])).ShouldBe(expected[i], $"task {i} in node {node}'s get_agent_task");
                }
        }

        await PlacesAre([holder, .. queued], [null, 1, 2, 3, 4]);

        // The slot frees (cancelled on node B, the agent stopped by node A): the first queued task starts, the others move up on both nodes.
        (await onB.PostFormAsync($"/projects/queued/agents/{holder}?handler=Cancel", new(), formPage: $"/projects/queued/agents/{holder}"))
            .StatusCode.ShouldBe(HttpStatusCode.Redirect);
        await Store(a).WaitForAsync(queued[0], t => t.Status == AgentTaskStatus.Running);
        await PlacesAre(queued, [null, 1, 2, 3]);

        // One in the middle leaves the queue: the one behind it takes its place.
        (await onA.PostFormAsync($"/projects/queued/agents/{queued[2]}?handler=Cancel", new(), formPage: $"/projects/queued/agents/{queued[2]}"))
            .StatusCode.ShouldBe(HttpStatusCode.Redirect);
        await Store(b).WaitForAsync(queued[2], t => t.Status == AgentTaskStatus.Cancelled);
        await PlacesAre([queued[1], queued[3]], [1, 2]);

        foreach (var id in queued)
            await onA.PostFormAsync($"/projects/queued/agents/{id}?handler=Cancel", new(), formPage: $"/projects/queued/agents/{id}");
        foreach (var id in queued) await Store(a).WaitUntilFinishedAsync(id);
    }

    /// <summary>The task page's “position N in the queue”; null when the page shows no place.</summary>
    private static async Task<int?> PlaceOnPage(PageClient client, Guid taskId)
    {
        var html = await client.GetHtmlAsync($"/projects/queued/agents/{taskId}");
        var match = System.Text.RegularExpressions.Regex.Match(html, @"position (\d+) in the queue");
        return match.Success ? int.Parse(match.Groups[1].Value) : null;
    }

    /// <summary>get_agent_task's queue_position; null when it has none.</summary>
    private static async Task<int?> PlaceOverMcp(ModelContextProtocol.Client.McpClient client, Guid taskId)
    {
        var result = await client.CallToolAsync("get_agent_task", new Dictionary<string, object?> { ["task_id"] = taskId.ToString() });
        (result.IsError ?? false).ShouldBeFalse();
        var place = result.StructuredContent!.Value.GetProperty("queue_position");
        return place.ValueKind == System.Text.Json.JsonValueKind.Null ? null : place.GetInt32();
    }

    /// <summary>An MCP client of <paramref name="node"/> with a personal API token made on its tokens page.</summary>
    private static async Task<ModelContextProtocol.Client.McpClient> ConnectMcp(IAlbaHost node, PageClient signedIn)
    {
        var created = await signedIn.PostFormAsync("/settings/tokens?handler=Create", new() { ["Name"] = "queue" }, formPage: "/settings/tokens");
        var html = await created.Content.ReadAsStringAsync();
        var token = System.Text.RegularExpressions.Regex.Match(html, "<pre class=\"secret\" id=\"new-token\">(cat_[A-Za-z0-9_-]+)</pre>").Groups[1].Value;
        token.ShouldNotBeNullOrEmpty(html);
        var http = new HttpClient(node.Server.CreateHandler());
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        var transport = new ModelContextProtocol.Client.HttpClientTransport(new ModelContextProtocol.Client.HttpClientTransportOptions
        {
            Endpoint = new Uri("http://localhost/mcp"), TransportMode = ModelContextProtocol.Client.HttpTransportMode.StreamableHttp, Name = "queue-test",
        }, http, ownsHttpClient: true);
        return await ModelContextProtocol.Client.McpClient.CreateAsync(transport);
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

    [Fact]
    public async Task a_node_killed_while_its_task_runs_has_the_task_ended_by_the_other_node()
    {
        var connection = await database.CreateDatabaseAsync("catalyst_two_hosts_lost");
        var timeout = TimeSpan.FromSeconds(6);
        var dataA = NewDataDirectory("a");
        // Node A first: its start-up brings the stored provider catalogue in line with its own (which has no script agent).
        var (a, addressA) = await StartProcessNode(connection, dataA, HostProcess.FreePort(), new()
        {
            ["Catalyst__Node__Id"] = "node-a", ["Catalyst__Node__HeartbeatTimeoutSeconds"] = timeout.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        var b = await StartNode(connection, "b", heartbeatTimeoutSeconds: timeout.TotalSeconds);
        using var onB = await SignUp(b, "ada@example.com");
        await onB.CreateProjectAsync("lost", _sandbox.Origin);
        var credential = await onB.AddScriptCredentialAsync(Store(b));
        using var onA = await SignInOver(addressA, "ada@example.com");
        var taskId = await onA.StartTaskAsync("lost", credential, "echo 'working on node A'; sleep 300");
        await WaitForLineAsync(b, taskId, "working on node A");
        (await Store(b).WaitForAsync(taskId, t => t.Status == AgentTaskStatus.Running)).Node.ShouldBe("node-a");

        try
        {
            await a.KillAsync();
            var task = await Store(b).WaitUntilFinishedAsync(taskId, seconds: 60);
            task.Status.ShouldBe(AgentTaskStatus.Failed);
            task.Error.ShouldBe(EndTasksOfLostNodesHandler.LostMessage("node-a", timeout));
            task.Error!.ShouldContain("stopped answering");
            (await b.Services.LogsAsync(taskId)).ShouldContain(l => l.Message == task.Error && l.Level == TaskLogLevel.Error);
        }
        finally
        {
            KillAgentsUnder(dataA);
        }
    }

    [Fact]
    public async Task a_host_killed_with_ten_tasks_running_ends_every_one_when_it_starts_again()
    {
        const int count = 10;
        var connection = await database.CreateDatabaseAsync("catalyst_host_killed");
        var dataA = NewDataDirectory("a");
        var port = HostProcess.FreePort();
        var settings = new Dictionary<string, string> { ["Catalyst__Workspaces__MaxConcurrent"] = count.ToString() };
        var (a, addressA) = await StartProcessNode(connection, dataA, port, settings);
        // Node B only watches (its default 60 s heartbeat timeout is longer than node A's restart).
        var b = await StartNode(connection, "b");
        using var onB = await SignUp(b, "ada@example.com");
        await onB.CreateProjectAsync("crashed", _sandbox.Origin, maxConcurrent: count);
        var credential = await onB.AddScriptCredentialAsync(Store(b));
        using var onA = await SignInOver(addressA, "ada@example.com");
        var tasks = new List<Guid>();
        for (var i = 0; i < count; i++) tasks.Add(await onA.StartTaskAsync("crashed", credential, $"echo 'agent {i} at work'; sleep 300"));
        for (var i = 0; i < count; i++) await WaitForLineAsync(b, tasks[i], $"agent {i} at work", seconds: 120);
        var nodeId = File.ReadAllText(Path.Combine(dataA, CatalystNode.IdFileName)).Trim();
        foreach (var id in tasks) (await Store(b).WaitForAsync(id, t => t.Status == AgentTaskStatus.Running)).Node.ShouldBe(nodeId);
        var workspaces = Path.Combine(dataA, "workspaces");
        tasks.ShouldAllBe(id => Directory.Exists(Path.Combine(workspaces, id.ToString())));

        try
        {
            await a.KillAsync();
            // The agents stop on their own once their Host is gone (each runner's stdin closed), as a restart takes a while.
            var deadline = DateTime.UtcNow.AddSeconds(45);
            while (tasks.Any(id => ProcessTable.OfTask(id).Count > 0) && DateTime.UtcNow < deadline) await Task.Delay(200);
            tasks.ShouldAllBe(id => ProcessTable.OfTask(id).Count == 0, "agents of the dead Host kept running");
            // The same data directory: the same node, which settles what it left from the reports its runners kept.
            await StartProcessNode(connection, dataA, port, settings);
            var restarted = DateTime.UtcNow;
            foreach (var id in tasks)
            {
                var left = (int)Math.Max(1, 60 - (DateTime.UtcNow - restarted).TotalSeconds);
                var task = await Store(b).WaitUntilFinishedAsync(id, seconds: left);
                task.Status.ShouldBe(AgentTaskStatus.Failed);
                task.Error.ShouldBe("The Catalyst host stopped (killed or crashed) while this task was running: its agent was stopped then. " +
                    "It had made no commit. Retry the task to run it again.");
                var logs = await b.Services.LogsAsync(id);
                logs.Select(l => l.Sequence).ShouldBe(Enumerable.Range(1, logs.Count).Select(n => (long)n), "no line lost or numbered twice");
                logs.ShouldContain(l => l.Message == $"agent {tasks.IndexOf(id)} at work");
                logs.Last().Message.ShouldBe($"Task ended failed: {task.Error}");
            }
            foreach (var id in tasks)
            {
                ProcessTable.OfTask(id).ShouldBeEmpty();
                await WaitUntilGone(Path.Combine(workspaces, id.ToString()));
            }
        }
        finally
        {
            KillAgentsUnder(dataA);
        }
    }

    [Fact]
    public async Task the_agent_of_a_killed_host_stops_on_its_own_and_its_commits_are_pushed()
    {
        var connection = await database.CreateDatabaseAsync("catalyst_host_killed_lifeline");
        var dataA = NewDataDirectory("a");
        var (a, addressA) = await StartProcessNode(connection, dataA, HostProcess.FreePort());
        var b = await StartNode(connection, "b");
        using var onB = await SignUp(b, "ada@example.com");
        await onB.CreateProjectAsync("lifeline", _sandbox.Origin);
        var credential = await onB.AddScriptCredentialAsync(Store(b));
        using var onA = await SignInOver(addressA, "ada@example.com");
        var taskId = await onA.StartTaskAsync("lifeline", credential, """
            echo done > DONE.md && git add DONE.md && git commit -qm "Done before the crash"
            echo 'committed, now waiting'
            sleep 300
            """);
        await WaitForLineAsync(b, taskId, "committed, now waiting", seconds: 120);
        var task = await Store(b).WaitForAsync(taskId, t => t.Status == AgentTaskStatus.Running);
        var runnerFiles = Path.Combine(dataA, "workspaces", taskId.ToString(), "runner");
        _sandbox.OriginBranch(task.WorkBranch).ShouldBeNull();

        try
        {
            await a.KillAsync();
            // Nobody starts node A again: its runner sees the Host's end of its stdin close, stops the agent (the
            // 300 s sleep) and still pushes what the agent committed.
            var deadline = DateTime.UtcNow.AddSeconds(45);
            while (ProcessTable.OfTask(taskId).Count > 0 && DateTime.UtcNow < deadline) await Task.Delay(200);
            ProcessTable.OfTask(taskId).ShouldBeEmpty("the agent of a dead Host kept running");
            var pushed = _sandbox.OriginBranch(task.WorkBranch);
            pushed.ShouldNotBeNull("the agent's commit was not pushed");
            _sandbox.Git(_sandbox.Root, "--git-dir", _sandbox.Origin, "log", "-1", "--format=%s", pushed).ShouldBe("Done before the crash");
            // What the runner would have reported is in its own part of the workspace, not lost with the pipe.
            var after = File.ReadAllText(Path.Combine(runnerFiles, "after-host.log"));
            after.ShouldContain("the Catalyst host is gone");
            after.ShouldContain($"pushed {task.WorkBranch}");
            after.ShouldContain("::catalyst-result::");

            // Node A started again settles the task from that report: failed, saying so, with the pushed commit on it.
            await StartProcessNode(connection, dataA, HostProcess.FreePort());
            var ended = await Store(b).WaitUntilFinishedAsync(taskId, seconds: 60);
            ended.Status.ShouldBe(AgentTaskStatus.Failed);
            ended.Error.ShouldBe("The Catalyst host stopped (killed or crashed) while this task was running: its agent was stopped then. " +
                $"Its commit was pushed to {task.WorkBranch}. Retry the task to run it again.");
            ended.Commits.Select(c => c.Message).ShouldBe(["Done before the crash"]);
            await WaitUntilGone(Path.Combine(dataA, "workspaces", taskId.ToString()));
        }
        finally
        {
            KillAgentsUnder(dataA);
        }
    }

    /// <summary>The directory is removed by a message the node handles after the task ends.</summary>
    private static async Task WaitUntilGone(string directory)
    {
        for (var i = 0; i < 100 && Directory.Exists(directory); i++) await Task.Delay(100);
        Directory.Exists(directory).ShouldBeFalse($"{directory} was left on disk");
    }

    [Fact]
    public async Task a_session_and_a_form_of_one_node_are_accepted_by_the_other()
    {
        var connection = await database.CreateDatabaseAsync("catalyst_two_hosts_cookies");
        var (_, addressA) = await StartProcessNode(connection, NewDataDirectory("a"), HostProcess.FreePort());
        var (_, addressB) = await StartProcessNode(connection, NewDataDirectory("b"), HostProcess.FreePort());
        // One browser: its cookies are for 127.0.0.1, whichever node (port) answers.
        using var browser = new PageClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }, addressA);
        var signUp = await browser.PostFormAsync("/signup", new() { ["Email"] = "ada@example.com", ["Password"] = Password });
        signUp.StatusCode.ShouldBe(HttpStatusCode.Redirect, await signUp.Content.ReadAsStringAsync());

        // Node B reads the session node A issued.
        var page = await browser.GetAsync(new Uri(addressB, "/projects/new").ToString());
        page.StatusCode.ShouldBe(HttpStatusCode.OK, page.Headers.Location?.ToString());
        // A form node A served (its antiforgery cookie and token) is posted to node B.
        var created = await browser.PostFormAsync(new Uri(addressB, "/projects/new").ToString(), new()
        {
            ["Form.Name"] = "Shared", ["Form.Slug"] = "shared", ["Form.RepositoryUrl"] = _sandbox.Origin, ["Form.DefaultBranch"] = "main",
            ["Form.TimeoutSeconds"] = "60", ["Form.MaxConcurrentTasks"] = "1",
        }, formPage: new Uri(addressA, "/projects/new").ToString());
        created.StatusCode.ShouldBe(HttpStatusCode.Redirect, await created.Content.ReadAsStringAsync());
        (await browser.GetAsync(new Uri(addressA, "/projects/shared").ToString())).StatusCode.ShouldBe(HttpStatusCode.OK);

        // The nodes' one key ring is in the database, each key sealed with the master key: no key XML in the clear.
        await using var connectionToDatabase = new Npgsql.NpgsqlConnection(connection);
        await connectionToDatabase.OpenAsync();
        await using var read = new Npgsql.NpgsqlCommand("select data::text from accounts.mt_doc_dataprotectionkey", connectionToDatabase);
        var stored = new List<string>();
        await using (var reader = await read.ExecuteReaderAsync()) while (await reader.ReadAsync()) stored.Add(reader.GetString(0));
        stored.ShouldNotBeEmpty();
        stored.ShouldAllBe(key => !key.Contains("masterKey") && !key.Contains("<key"));
    }
}
