using System.Diagnostics;
using System.Net;
using System.Net.ServerSentEvents;
using System.Text.Json.Nodes;
using Alba;
using Catalyst.Contracts;
using Catalyst.KubernetesLoopback;
using Catalyst.Tasks.Domain;
using Catalyst.Tests.Broker;
using Catalyst.Tests.Credentials;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Tasks;
using JasperFx.CommandLine;
using k8s;
using Marten;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Wolverine;

namespace Catalyst.Tests.Kubernetes;

/// <summary>
/// The whole path on the kubernetes backend: the Host (Catalyst__Workspaces__Backend=kubernetes) creates an Environment,
/// the operator (its own process) runs it as a Job on the loopback cluster, where the real runner runs the agent in a pod,
/// and the operator sends the Host what happens over the PostgreSQL queue; the page, the live log and the usage are as
/// on the local backend. The agent holds the task token and the broker's address, never the key.
/// </summary>
[Trait("Category", "Kubernetes")]
public sealed class a_task_runs_on_the_kubernetes_backend(TestDatabase database) : IAsyncLifetime
{
    private const string Password = "a long password";
    // Not under /tmp: the pod mounts its own /tmp, and the kubelet stand-in maps every path under it into that volume.
    private readonly string _root = Directory.CreateDirectory(Path.Combine("/var/tmp", $"catalyst-k8s-host-{Guid.NewGuid():N}")).FullName;
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), $"catalyst-k8s-host-data-{Guid.NewGuid():N}");
    private readonly int _brokerPort = HostProcess.FreePort();
    private readonly int _egressPort = HostProcess.FreePort();
    private readonly List<IAlbaHost> _hosts = [];
    private LoopbackApiServer _cluster = null!;
    private VendorApiServer _vendor = null!;
    private OperatorProcess? _operator;
    private string _connection = "";

    private string Origin => Path.Combine(_root, "origin.git");
    private string BrokerUrl => $"http://127.0.0.1:{_brokerPort}";
    private string EgressUrl => $"http://127.0.0.1:{_egressPort}";

    public async ValueTask InitializeAsync()
    {
        await GitAsync(_root, "init", "--quiet", "--bare", "--initial-branch=main", Origin);
        var seed = Path.Combine(_root, "seed");
        await GitAsync(_root, "clone", "--quiet", Origin, seed);
        await File.WriteAllTextAsync(Path.Combine(seed, "README.md"), "hello\n");
        await GitAsync(seed, "add", "README.md");
        await GitAsync(seed, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-m", "first");
        await GitAsync(seed, "push", "--quiet", "origin", "HEAD:main");

        _vendor = await VendorApiServer.StartAsync();
        _cluster = await OperatorHarness.StartClusterAsync(o =>
        {
            o.Images.Add(new ImageMount("ghcr.io/catalyst/runner:*", RepositoryFiles.PathOf("runner"), "/usr/local/lib/catalyst-runner"));
            o.WorkRoot = Path.Combine(_root, "cluster");
        });
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts) await host.DisposeAsync();
        if (_operator is not null) await _operator.DisposeAsync();
        if (_cluster is not null) await _cluster.DisposeAsync();
        if (_vendor is not null) await _vendor.DisposeAsync();
        foreach (var directory in new[] { _root, _dataDirectory })
            try { Directory.Delete(directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>The Host as a deployment on Kubernetes configures it; its broker listens where the pods (local processes here) reach it.</summary>
    private async Task<IAlbaHost> StartHostAsync(IReadOnlyDictionary<string, string>? settings = null)
    {
        JasperFxEnvironment.AutoStartHost = true;
        var host = await AlbaHost.For<Program>(web =>
        {
            web.UseEnvironment("Development");
            web.UseSetting("ConnectionStrings:Catalyst", _connection);
            web.UseSetting("CATALYST_DATA_DIR", _dataDirectory);
            foreach (var (key, value) in TestSettings.Values) web.UseSetting(key, value);
            web.UseSetting("Catalyst:Projects:LocalRepositoryRoots", _root);
            web.UseSetting("Catalyst:Workspaces:Backend", "kubernetes");
            web.UseSetting("Catalyst:Workspaces:Kubernetes:Namespace", OperatorHarness.HostNamespace);
            web.UseSetting("Catalyst:Workspaces:Kubernetes:RunnerImage", "ghcr.io/catalyst/runner:test");
            web.UseSetting("Catalyst:Workspaces:Kubernetes:BrokerAddress", BrokerUrl);
            web.UseSetting("Catalyst:Broker:Urls", BrokerUrl);
            web.UseSetting("Catalyst:Workspaces:Kubernetes:EgressProxyUrls", EgressUrl);
            web.UseSetting("Catalyst:Workspaces:Kubernetes:EgressProxyAddress", EgressUrl);
            foreach (var (key, value) in settings ?? new Dictionary<string, string>()) web.UseSetting(key, value);
            web.ConfigureServices(services =>
            {
                services.AddSingleton(ScriptAgent.Definition);
                services.AddSingleton<IKubernetes>(_ => new k8s.Kubernetes(new KubernetesClientConfiguration { Host = _cluster.Url }));
                // The PostgreSQL transport stays on: the operator's messages come on its queue.
                services.RunWolverineInSoloMode();
            });
        });
        _hosts.Add(host);
        return host;
    }

    private async Task<(IAlbaHost Host, PageClient Person, Guid Credential, string Key)> StartAsync(string? allowedHosts = null)
    {
        _connection = await database.CreateDatabaseAsync("catalyst_k8s_host");
        var host = await StartHostAsync();
        _operator = OperatorProcess.Start(_cluster, _connection);
        var person = new PageClient(host.Server.CreateHandler());
        (await person.PostFormAsync("/signup", new() { ["Email"] = "ada@example.com", ["Password"] = Password })).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        await person.CreateProjectAsync("shop", Origin, timeoutSeconds: 300, allowedHosts: allowedHosts);
        var key = FakeModelVendor.NewKey("sk-ant-api03-");
        var credential = await person.AddCredentialAsync(Store(host), ScriptAgent.Name, key, "work", baseUrl: _vendor.BaseUrl);
        return (host, person, credential, key);
    }

    private static IDocumentStore Store(IAlbaHost host) => host.Services.GetRequiredService<IDocumentStore>();

    /// <summary>Writes what the agent was given where the test reads it (outside the pod's /tmp), then works.</summary>
    private string AgentScript(string seen, int ticks, string before = "") => $$"""
        {{before}}
        printf '%s\n' "token=$SCRIPT_AGENT_KEY" "broker=$CATALYST_BROKER_ADDRESS" > {{seen}}
        env >> {{seen}}
        for i in $(seq 1 {{ticks}}); do echo "tick $i"; sleep 0.05; done
        curl -sS -o /dev/null -w 'model answered %{http_code}\n' -X POST -H 'content-type: application/json' -H 'anthropic-version: 2023-06-01' \
          -H "x-api-key: $SCRIPT_AGENT_KEY" -d '{"model":"claude-sonnet-4-5","max_tokens":1024,"messages":[{"role":"user","content":"Write the README."}]}' \
          "$CATALYST_BROKER_ADDRESS/v1/messages"
        echo more >> README.md
        git commit -qam 'agent change'
        echo "echoing the key variable: $SCRIPT_AGENT_KEY"
        """;

    [Fact]
    public async Task a_task_from_the_page_runs_as_a_job_and_completes_with_its_commits_log_and_usage_and_no_key_in_the_cluster()
    {
        var (host, person, credential, key) = await StartAsync();
        var seen = Path.Combine(_root, "agent-saw");
        const int ticks = 60;
        var taskId = await person.StartTaskAsync("shop", credential, AgentScript(seen, ticks));

        using var response = await person.OpenStreamAsync($"/projects/shop/agents/{taskId}/events?format=json");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var events = new List<SseItem<string>>();
        AgentTaskStatus? statusWhenTick10Arrived = null;
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(150)))
        {
            try
            {
                await foreach (var item in SseParser.Create(await response.Content.ReadAsStreamAsync(timeout.Token)).EnumerateAsync(timeout.Token))
                {
                    events.Add(item);
                    if (item.EventType == "log" && item.Data.Contains("\"tick 10\""))
                    {
                        await using var session = Store(host).QuerySession();
                        statusWhenTick10Arrived = (await session.LoadAsync<AgentTask>(taskId))!.Status;
                    }
                }
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"The task's stream did not end.\n{Said(events)}\noperator:\n{_operator!.Output}");
            }
        }

        var task = await Store(host).WaitUntilFinishedAsync(taskId, seconds: 30);
        task.Status.ShouldBe(AgentTaskStatus.Completed, $"{task.Error}\n{Said(events)}\noperator:\n{_operator!.Output}");
        statusWhenTick10Arrived.ShouldBe(AgentTaskStatus.Running, "a line printed early reached the page while the task still ran");
        // Every line once, in the order the agent printed it (the operator's batches arrive in the order it sent them).
        var ticked = events.Where(e => e.EventType == "log").Select(e => System.Text.Json.JsonDocument.Parse(e.Data).RootElement.GetProperty("message").GetString()!)
            .Where(m => m.StartsWith("tick ", StringComparison.Ordinal)).ToList();
        ticked.ShouldBe(Enumerable.Range(1, ticks).Select(i => $"tick {i}"));
        var sequence = events.Where(e => e.EventType == "log").Select(e => long.Parse(e.EventId!)).ToList();
        sequence.ShouldBe(Enumerable.Range(1, sequence.Count).Select(i => (long)i), "every line numbered, no gap, no duplicate");
        events.Last().EventType.ShouldBe("ended");

        // Commits pushed to the work branch, and the task says so.
        task.Commits.Select(c => c.Message).ShouldBe(["agent change"]);
        (await GitAsync(_root, "--git-dir", Origin, "log", "--format=%s", "-1", task.WorkBranch)).Trim().ShouldBe("agent change");

        // The agent's model call went through the broker with the task token: the usage is the vendor's, on the task.
        var logs = await host.Services.LogsAsync(taskId);
        logs.Select(l => l.Message).ShouldContain("model answered 200");
        (task.InputTokens, task.OutputTokens, task.CacheReadTokens, task.CacheWriteTokens).ShouldBe((1200L, 85L, 4000L, 300L));
        _vendor.Requests.ShouldHaveSingleItem().Headers["x-api-key"].ShouldBe(key);

        // Inside the pod: a task token and the broker's address, never the key.
        var saw = await File.ReadAllTextAsync(seen);
        saw.ShouldContain($"broker={BrokerUrl}\n");
        var token = saw.Split('\n').Single(l => l.StartsWith("token=", StringComparison.Ordinal))["token=".Length..];
        token.ShouldNotBeNullOrWhiteSpace();
        token.ShouldNotBe(key);
        saw.ShouldNotContain(key);

        // Nowhere in the cluster or in what the task shows.
        foreach (var kind in new[] { ResourceCatalog.Secrets, ResourceCatalog.Pods, ResourceCatalog.Jobs })
            foreach (var item in _cluster.Store.List(kind, null).Items)
                DecodedText(item).ShouldNotContain(key, customMessage: $"{kind} {item["metadata"]?["name"]}");
        using var client = _cluster.CreateClient();
        var environments = LoopbackCluster.Node(await client.CustomObjects.ListClusterCustomObjectAsync(LoopbackCluster.Group, LoopbackCluster.Version, LoopbackCluster.Plural));
        ((JsonArray)environments["items"]!).Count.ShouldBe(1);
        environments.ToJsonString().ShouldNotContain(key);
        string.Join("\n", logs.Select(l => l.Message)).ShouldNotContain(key);
        Said(events).ShouldNotContain(key);
        Said(events).ShouldNotContain(token);
        logs.Select(l => l.Message).ShouldContain("echoing the key variable: [REDACTED]");
        (await person.GetHtmlAsync($"/projects/shop/agents/{taskId}")).ShouldNotContain(key);

        // The namespace of the task carries its project.
        var ns = await client.CoreV1.ReadNamespaceAsync($"catalyst-task-{taskId.ToString("N")[^8..]}");
        ns.Metadata.Labels["catalyst.dev/project"].ShouldBe("shop");
    }

    [Fact]
    public async Task a_host_started_while_its_task_runs_on_the_cluster_asks_the_cluster_and_the_task_completes()
    {
        var (host, person, credential, _) = await StartAsync();
        var seen = Path.Combine(_root, "agent-saw");
        var gate = Path.Combine(_root, "go-on");
        // The agent waits (bounded) for the test to let it go on: the Host is restarted in between.
        var taskId = await person.StartTaskAsync("shop", credential,
            AgentScript(seen, 3, before: $"echo waiting; for i in $(seq 1 600); do [ -e {gate} ] && break; sleep 0.1; done"));
        await Store(host).WaitForAsync(taskId, t => t.Status == AgentTaskStatus.Running, seconds: 90);
        await OperatorHarness.EventuallyAsync(async () => (await host.Services.LogsAsync(taskId)).Any(l => l.Message == "waiting"), "the agent running",
            TimeSpan.FromSeconds(60));

        _hosts.Remove(host);
        await host.DisposeAsync();
        var restarted = await StartHostAsync();
        // What the Host does once started: ask the backend about every task that was running (here once more, and awaited).
        using (var scope = restarted.Services.CreateScope())
            await scope.ServiceProvider.GetRequiredService<IMessageBus>().InvokeAsync(new Catalyst.Tasks.ReconcileAgentTasks());
        (await Store(restarted).WaitForAsync(taskId, _ => true)).Status.ShouldBe(AgentTaskStatus.Running,
            "the cluster still runs the task's workspace: the Host must not call it gone");

        await File.WriteAllTextAsync(gate, "");
        var task = await Store(restarted).WaitUntilFinishedAsync(taskId, seconds: 90);
        task.Status.ShouldBe(AgentTaskStatus.Completed, $"{task.Error}\noperator:\n{_operator!.Output}");
        task.Commits.Select(c => c.Message).ShouldBe(["agent change"]);
        var lines = (await restarted.Services.LogsAsync(taskId)).Select(l => l.Message).ToList();
        lines.Where(l => l.StartsWith("tick ", StringComparison.Ordinal)).ShouldBe(["tick 1", "tick 2", "tick 3"]);
        lines.ShouldNotContain(l => l.Contains("its workspace is gone"));
    }

    [Fact]
    public async Task a_pod_reaches_its_projects_allowed_host_through_the_hosts_egress_proxy_and_nothing_else()
    {
        await using var allowed = await LoopbackServer.StartAsync(app => app.Run(http => http.Response.WriteAsync("hello from the allowed host")));
        await using var other = await LoopbackServer.StartAsync(app => app.Run(http => http.Response.WriteAsync("hello from a host not on the list")));
        var (host, person, credential, _) = await StartAsync(allowedHosts: $"127.0.0.1:{allowed.Address.Port}");
        var gate = Path.Combine(_root, "go-on");
        // The broker is 127.0.0.1 too (NO_PROXY): the "hosts" are asked through the proxy explicitly.
        var taskId = await person.StartTaskAsync("shop", credential, $$"""
            echo "allowed: $(curl -sS --max-time 10 --noproxy '' -x "$HTTP_PROXY" http://127.0.0.1:{{allowed.Address.Port}}/)"
            echo "other: $(curl -sS --max-time 10 --noproxy '' -x "$HTTP_PROXY" -o /dev/null -w '%{http_code}' http://127.0.0.1:{{other.Address.Port}}/)"
            echo "tunnel: $(curl -sS --max-time 10 --noproxy '' -x "$HTTP_PROXY" -p -o /dev/null -w '%{http_code}' http://127.0.0.1:{{other.Address.Port}}/ 2>&1)"
            echo "without credentials: $(curl -sS --max-time 10 --noproxy '' -x {{EgressUrl}} -o /dev/null -w '%{http_code}' http://127.0.0.1:{{allowed.Address.Port}}/)"
            echo "another token: $(curl -sS --max-time 10 --noproxy '' -x "http://$(echo "$HTTP_PROXY" | sed -E 's#^http://([^:]+):.*#\1#'):cat_task_guessed@127.0.0.1:{{_egressPort}}" -o /dev/null -w '%{http_code}' http://127.0.0.1:{{allowed.Address.Port}}/)"
            echo waiting; for i in $(seq 1 600); do [ -e {{gate}} ] && break; sleep 0.1; done
            """);
        await OperatorHarness.EventuallyAsync(async () => (await host.Services.LogsAsync(taskId)).Any(l => l.Message == "waiting"), "the agent's requests",
            TimeSpan.FromSeconds(90));

        // Another task's id with this task's token is refused too: the proxy checks the pair against the task's Environment.
        using (var client = new HttpClient(new HttpClientHandler
        {
            Proxy = new WebProxy(EgressUrl) { Credentials = new NetworkCredential(Guid.NewGuid().ToString(), "cat_task_anything") }, UseProxy = true,
        }))
            (await client.GetAsync($"http://127.0.0.1:{allowed.Address.Port}/", TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.ProxyAuthenticationRequired);

        await File.WriteAllTextAsync(gate, "");
        var task = await Store(host).WaitUntilFinishedAsync(taskId, seconds: 90);
        var lines = (await host.Services.LogsAsync(taskId)).Select(l => l.Message).ToList();
        task.Status.ShouldBe(AgentTaskStatus.Completed, $"{task.Error}\n{string.Join("\n", lines)}\noperator:\n{_operator!.Output}");
        lines.ShouldContain("allowed: hello from the allowed host");
        lines.ShouldContain("other: 403");
        lines.ShouldContain(l => l.StartsWith("tunnel: ", StringComparison.Ordinal) && l.Contains("403"));
        lines.ShouldContain("without credentials: 407");
        lines.ShouldContain("another token: 407");
        lines.ShouldContain($"blocked egress to 127.0.0.1:{other.Address.Port}");
    }

    [Fact]
    public async Task a_plan_first_task_plans_in_a_job_waits_for_approval_and_carries_out_the_plan_in_a_job_of_its_own_in_the_kept_workspace()
    {
        var (host, person, credential, _) = await StartAsync();
        var gate = Path.Combine(_root, "go-on");
        // Plans with "plan"; carries out with "execute" and the approval message, waiting (bounded) for the test's look first.
        var script = $$"""
            if [ "$1" = plan ]; then
              echo "session-$$-$RANDOM" > "$HOME/session"
              echo "1. Write NOTES.md"
              echo "2. Commit it"
              exit 0
            fi
            echo "resuming $(cat "$HOME/session")"
            printf '%s\n' "$2" | sed 's/^/told: /'
            echo waiting; for i in $(seq 1 600); do [ -e {{gate}} ] && break; sleep 0.1; done
            echo "notes" > NOTES.md
            git add NOTES.md
            git commit -qm "Add notes"
            """;
        var created = await person.PostFormAsync("/projects/shop/agents/new", new()
        {
            ["Type"] = "feature-dev", ["Provider"] = ScriptAgent.Name, ["CredentialId"] = credential.ToString(), ["Instructions"] = script, ["PlanFirst"] = "true",
        });
        created.StatusCode.ShouldBe(HttpStatusCode.Redirect, await created.Content.ReadAsStringAsync());
        var taskId = Guid.Parse(created.Headers.Location!.ToString().Split('/').Last());
        var ns = $"catalyst-task-{taskId.ToString("N")[^8..]}";

        var waiting = await Store(host).WaitForAsync(taskId, t => t.Status == AgentTaskStatus.AwaitingApproval || t.Status.IsFinished(), seconds: 120);
        waiting.Status.ShouldBe(AgentTaskStatus.AwaitingApproval, $"{waiting.Error}\noperator:\n{_operator!.Output}");
        waiting.Plan.ShouldBe("1. Write NOTES.md\n2. Commit it");
        waiting.Commits.ShouldBeEmpty();
        // The plan ran as the task's Job on a claim of its namespace, which stays for the approval.
        _cluster.Store.Get(ResourceCatalog.Jobs, ns, "workspace").ShouldNotBeNull();
        _cluster.Store.Get(ResourceCatalog.PersistentVolumeClaims, ns, "workspace").ShouldNotBeNull("the plan's workspace is kept for the approval");
        var session = (await File.ReadAllTextAsync(Directory.GetFiles(_root, "session", SearchOption.AllDirectories).Single())).Trim();

        var approve = await person.PostFormAsync($"/projects/shop/agents/{taskId}?handler=Approve", new() { ["Notes"] = "Keep it short." });
        approve.StatusCode.ShouldBe(HttpStatusCode.Redirect, await approve.Content.ReadAsStringAsync());
        await OperatorHarness.EventuallyAsync(async () => (await host.Services.LogsAsync(taskId)).Any(l => l.Message == "waiting"), "the execute phase running",
            TimeSpan.FromSeconds(90));
        _cluster.Store.Get(ResourceCatalog.Jobs, ns, "workspace-execute").ShouldNotBeNull("the execute phase is a Job of its own");
        await File.WriteAllTextAsync(gate, "");

        var task = await Store(host).WaitUntilFinishedAsync(taskId, seconds: 90);
        var lines = (await host.Services.LogsAsync(taskId)).Select(l => l.Message).ToList();
        task.Status.ShouldBe(AgentTaskStatus.Completed, $"{task.Error}\n{string.Join("\n", lines)}\noperator:\n{_operator!.Output}");
        task.Commits.ShouldHaveSingleItem().Message.ShouldBe("Add notes");
        (await GitAsync(_root, "--git-dir", Origin, "log", "--format=%s", "-1", task.WorkBranch)).Trim().ShouldBe("Add notes");
        lines.ShouldContain($"resuming {session}");
        lines.ShouldContain("told: The plan is approved. Carry it out now: make the changes and commit them with clear messages.");
        lines.ShouldContain("told: Keep it short.");
        lines.ShouldContain(l => l.StartsWith("continuing in the plan's workspace", StringComparison.Ordinal));
    }

    [Fact]
    public async Task a_task_whose_host_died_is_not_ended_by_another_host_and_completes_on_the_cluster()
    {
        var (host, person, credential, _) = await StartAsync();
        var seen = Path.Combine(_root, "agent-saw");
        var gate = Path.Combine(_root, "go-on");
        var taskId = await person.StartTaskAsync("shop", credential,
            AgentScript(seen, 3, before: $"echo waiting; for i in $(seq 1 600); do [ -e {gate} ] && break; sleep 0.1; done"));
        await OperatorHarness.EventuallyAsync(async () => (await host.Services.LogsAsync(taskId)).Any(l => l.Message == "waiting"), "the agent running",
            TimeSpan.FromSeconds(90));
        var dead = host.Services.GetRequiredService<Catalyst.Tasks.Nodes.CatalystNode>().Id;

        // The first Host goes away; another node, which takes a node as dead after 2 s of silence, carries on.
        _hosts.Remove(host);
        await host.DisposeAsync();
        var other = await StartHostAsync(new Dictionary<string, string>
        {
            [Catalyst.Tasks.Nodes.CatalystNode.IdKey] = $"other-{Guid.NewGuid():N}",
            [Catalyst.Tasks.Nodes.CatalystNode.HeartbeatTimeoutKey] = "2",
        });
        var registry = other.Services.GetRequiredService<Catalyst.Tasks.Nodes.NodeRegistry>();
        await OperatorHarness.EventuallyAsync(async () => !(await registry.AliveAsync(CancellationToken.None)).Contains(dead), "the first node taken as dead",
            TimeSpan.FromSeconds(30));
        using (var scope = other.Services.CreateScope())
            await scope.ServiceProvider.GetRequiredService<IMessageBus>().InvokeAsync(new Catalyst.Tasks.Nodes.EndTasksOfLostNodes());
        (await Store(other).WaitForAsync(taskId, _ => true)).Status.ShouldBe(AgentTaskStatus.Running,
            "the task's workspace runs on the cluster, not on the node that died");

        await File.WriteAllTextAsync(gate, "");
        var task = await Store(other).WaitUntilFinishedAsync(taskId, seconds: 90);
        task.Status.ShouldBe(AgentTaskStatus.Completed, $"{task.Error}\noperator:\n{_operator!.Output}");
        task.Commits.Select(c => c.Message).ShouldBe(["agent change"]);
        (await other.Services.LogsAsync(taskId)).Select(l => l.Message).ShouldNotContain(l => l.Contains("stopped answering"));
    }

    [Fact]
    public async Task a_task_that_ended_while_no_host_ran_is_settled_by_its_queued_end_and_not_called_gone_at_start()
    {
        var (host, person, credential, _) = await StartAsync();
        var seen = Path.Combine(_root, "agent-saw");
        var gate = Path.Combine(_root, "go-on");
        var taskId = await person.StartTaskAsync("shop", credential,
            AgentScript(seen, 3, before: $"echo waiting; for i in $(seq 1 600); do [ -e {gate} ] && break; sleep 0.1; done"));
        await OperatorHarness.EventuallyAsync(async () => (await host.Services.LogsAsync(taskId)).Any(l => l.Message == "waiting"), "the agent running",
            TimeSpan.FromSeconds(90));

        // No Host runs while the workspace ends: the operator puts its end on the queue and records that it did.
        _hosts.Remove(host);
        await host.DisposeAsync();
        await File.WriteAllTextAsync(gate, "");
        using var client = _cluster.CreateClient();
        var name = Catalyst.Operator.Kubernetes.Backend.KubernetesWorkspaces.EnvironmentName(taskId);
        var ended = await OperatorHarness.EventuallyAsync(async () =>
                await Catalyst.Operator.Kubernetes.Environments.ReadAsync(client, OperatorHarness.HostNamespace, name, CancellationToken.None) is { Status.Log.ExitedSent: true } e ? e : null,
            "the end sent", TimeSpan.FromSeconds(90));
        ended.Status!.Phase.ShouldBe("Succeeded");

        var restarted = await StartHostAsync();
        using (var scope = restarted.Services.CreateScope())
        {
            var bus = scope.ServiceProvider.GetRequiredService<IMessageBus>();
            // Whether or not the queued end was read yet, the ended Environment is no workspace gone.
            (await bus.InvokeAsync<WorkspaceState>(new QueryWorkspace(taskId))).ShouldBe(WorkspaceState.Running);
            await bus.InvokeAsync(new Catalyst.Tasks.ReconcileAgentTasks());
        }
        var task = await Store(restarted).WaitUntilFinishedAsync(taskId, seconds: 90);
        task.Status.ShouldBe(AgentTaskStatus.Completed, $"{task.Error}\noperator:\n{_operator!.Output}");
        task.Commits.Select(c => c.Message).ShouldBe(["agent change"]);
        (await restarted.Services.LogsAsync(taskId)).Select(l => l.Message).ShouldNotContain(l => l.Contains("workspace is gone"));
    }

    private static string Said(IEnumerable<SseItem<string>> events) => string.Join("\n", events.Select(e => $"{e.EventType}: {e.Data}"));

    /// <summary>The object as JSON, with every Secret value decoded too: a key base64-encoded is still the key.</summary>
    private static string DecodedText(JsonObject item)
    {
        var text = item.ToJsonString();
        if (item["data"] is JsonObject data)
            foreach (var (_, value) in data)
                text += "\n" + System.Text.Encoding.UTF8.GetString(Convert.FromBase64String((string)value!));
        return text;
    }

    private static async Task<string> GitAsync(string directory, params string[] args)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        process.ExitCode.ShouldBe(0, errors);
        return output;
    }
}
