using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Text.Json;
using Catalyst.Contracts;
using Catalyst.Credentials;
using Catalyst.Host.Accounts;
using Catalyst.Host.Database;
using Catalyst.Integrations.Projects;
using Catalyst.Operator;
using Catalyst.Providers.Catalogue;
using Catalyst.Tasks;
using Catalyst.Tasks.Domain;
using JasperFx.CommandLine;
using Marten;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Wolverine;

// Harness benchmarks: the real Host on Kestrel, a throwaway PostgreSQL, the local backend, bash agents.
// Usage: dotnet run -c Release --project tests/Benchmarks [-- sandbox|start|queued-start|overhead|first-line|throughput|load|load-list|latency|cross-node|broker|kubernetes ...]
// cross-node (a second Host on the same database) runs only when asked for.
// The kubernetes scenario starts this program again as the operator's own process: `kubernetes-operator <api server url>`.
if (args is ["kubernetes-operator", var apiServer]) return await KubernetesOperatorLoad.RunOperatorAsync(apiServer);
var which = args.Length > 0 ? args.ToHashSet() : ["sandbox", "start", "queued-start", "overhead", "first-line", "throughput", "load", "latency", "broker", "kubernetes"];
// Needs neither the Host nor PostgreSQL: the operator against the loopback API server.
if (which.Remove("kubernetes"))
{
    var lines = await KubernetesOperatorLoad.MeasureAsync();
    lines = [$"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC", .. lines];
    foreach (var line in lines) Console.WriteLine(line);
    if (Environment.GetEnvironmentVariable("CATALYST_BENCH_OUTPUT") is { } file) await File.AppendAllLinesAsync(file, lines);
    if (which.Count == 0) return 0;
}
var root = Directory.CreateTempSubdirectory("catalyst-bench-").FullName;
await using var cluster = await PostgresCluster.StartAsync(Path.Combine(root, "pg"), throwaway: true);
var origin = Git.CreateOrigin(root);

JasperFxEnvironment.AutoStartHost = true;
// Nodes of one database share the master key (the cross-node scenario starts a second one).
var masterKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
WebApplicationFactory<CatalystDatabase> Node(string dataDirectory) => new WebApplicationFactory<CatalystDatabase>().WithWebHostBuilder(web =>
{
    web.UseSolutionRelativeContentRoot("src/Host");
    web.UseEnvironment("Production");
    web.UseSetting("ConnectionStrings:Catalyst", cluster.ConnectionString());
    web.UseSetting("CATALYST_DATA_DIR", Path.Combine(root, dataDirectory));
    web.UseSetting("Catalyst:EncryptionKey", masterKey);
    web.UseSetting("Catalyst:Workspaces:MaxConcurrent", "4");
    web.UseSetting("Catalyst:Projects:LocalRepositoryRoots", root);
    web.ConfigureLogging(l => l.SetMinimumLevel(LogLevel.Warning));
    web.ConfigureServices(s => s.AddSingleton(new AgentProviderDefinition
    {
        Name = "bench-agent", DisplayName = "Bench agent", Description = "Runs its instructions as bash", Monogram = "BA",
        CredentialVariables = ["BENCH_KEY"], DefaultBaseUrl = "http://127.0.0.1:9",
        KeyCheck = new CredentialCheck("GET", "v1/models", new Dictionary<string, string>()),
        Command = ["bash", "{prompt_file}"], OutputFormat = "text",
    }));
});
await using var factory = Node("data");
factory.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
factory.StartServer();
var services = factory.Services;
var bus = services.GetRequiredService<IMessageBus>();
var store = services.GetRequiredService<IDocumentStore>();

var user = (await bus.InvokeAsync<Result<AccountSummary>>(new RegisterAccount("bench@example.com", "bench password"))).Value!;
var token = (await bus.InvokeAsync<Result<CreatedApiToken>>(new CreateApiToken(user.Id, "bench"))).Value!.Token;
(await bus.InvokeAsync<Result<ProjectView>>(new CreateProject(user.Id, new ProjectSettings("Bench", "bench", origin, "main", null, 600, 4))))
    .Succeeded.ShouldBeTrue();
var credential = (await bus.InvokeAsync<Result<CredentialView>>(new AddAgentCredential(user.Id, "bench-agent", "bench-key-0123456789", "bench"))).Value!.Id;
var http = new HttpClient { BaseAddress = factory.ClientOptions.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

async Task<Guid> Create(string script)
{
    var result = await bus.InvokeAsync<Result<AgentTaskCreatedResult>>(new CreateAgentTask(user.Id, "bench", "feature-dev", script, "bench-agent", credential));
    return result.Value?.TaskId ?? throw new InvalidOperationException(result.ErrorText);
}

// Follows a task's live log on one node as a client does and gives, for each "t <nanoseconds>" line the agent printed,
// the milliseconds from its print to its arrival here.
async Task<List<double>> FollowAndTimeLines(Uri node, Guid id)
{
    using var client = new HttpClient { BaseAddress = node, Timeout = Timeout.InfiniteTimeSpan };
    client.DefaultRequestHeaders.Authorization = http.DefaultRequestHeaders.Authorization;
    using var response = await client.GetAsync($"/projects/bench/agents/{id}/events?format=json", HttpCompletionOption.ResponseHeadersRead);
    var received = new List<double>();
    await foreach (var item in SseParser.Create(await response.Content.ReadAsStreamAsync()).EnumerateAsync())
    {
        if (item.EventType == "ended") break;
        if (item.EventType != "log") continue;
        var message = JsonDocument.Parse(item.Data).RootElement.GetProperty("message").GetString()!;
        if (!message.StartsWith("t ")) continue;
        var printed = long.Parse(message[2..], CultureInfo.InvariantCulture);
        var now = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks * 100;
        received.Add((now - printed) / 1_000_000.0);
    }
    return received;
}

async Task<AgentTask> Finished(Guid id)
{
    while (true)
    {
        await using var session = store.QuerySession();
        var task = await session.LoadAsync<AgentTask>(id);
        if (task is not null && task.Status.IsFinished()) return task.Status == AgentTaskStatus.Completed ? task : throw new InvalidOperationException(task.Error);
        await Task.Delay(2);
    }
}

var report = new List<string>();
void Report(string line) { Console.WriteLine(line); report.Add(line); }
Report($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");

if (which.Contains("sandbox"))
{
    var runner = LocalWorkspaceOptions.FindRunnerDirectory(null) ?? throw new InvalidOperationException("runner/ not found");
    var (on, off) = await SandboxStartup.MeasureAsync(root, origin, runner);
    Report($"sandbox: workspace (clone, branch, agent `true`, push) median {on:F0} ms with the sandbox, {off:F0} ms without: sandbox start-up {on - off:F0} ms per task (target ≤ 50 ms), 20 runs each, alternating");
}

if (which.Contains("overhead"))
{
    await Finished(await Create("true")); // warm-up
    var harness = new List<double>();
    var direct = new List<double>();
    for (var i = 0; i < 20; i++)
    {
        var sw = Stopwatch.StartNew();
        await Finished(await Create("true"));
        harness.Add(sw.Elapsed.TotalMilliseconds);
        direct.Add(Git.RunRunnerDirectly(root, origin, i));
    }
    var h = Stats.Median(harness); var d = Stats.Median(direct);
    Report($"overhead: create→completed median {h:F0} ms; runner alone median {d:F0} ms; harness overhead {h - d:F0} ms (target < 300 ms), 20 runs");
}

if (which.Contains("first-line"))
{
    var samples = new List<double>();
    var parts = new List<double[]>();
    for (var i = 0; i < 20; i++)
    {
        var t0 = DateTimeOffset.UtcNow;
        var sw = Stopwatch.StartNew();
        var id = await Create("echo first-line");
        var created = sw.Elapsed.TotalMilliseconds;
        var lines = new List<(DateTimeOffset At, string Kind, string Message)>();
        double received = double.NaN;
        using var response = await http.GetAsync($"/projects/bench/agents/{id}/events?format=json", HttpCompletionOption.ResponseHeadersRead);
        await foreach (var item in SseParser.Create(await response.Content.ReadAsStreamAsync()).EnumerateAsync())
        {
            if (item.EventType != "log") continue;
            using var json = JsonDocument.Parse(item.Data);
            var root0 = json.RootElement;
            lines.Add((root0.GetProperty("ts").GetDateTimeOffset(), root0.GetProperty("kind").GetString()!, root0.GetProperty("message").GetString()!));
            if (item.Data.Contains("first-line")) { received = sw.Elapsed.TotalMilliseconds; samples.Add(received); break; }
        }
        await Finished(id);
        if (i == 0) foreach (var l in lines) Console.WriteLine($"  {(l.At - t0).TotalMilliseconds,7:F1} ms {l.Kind}: {l.Message}");
        await using var history = store.QuerySession();
        parts.Add(FirstLineBreakdown(t0, created, received, lines, await history.Events.FetchStreamAsync(id)));
    }
    Report($"first line: create→first agent line at an SSE client p50 {Stats.Percentile(samples, 50):F0} ms, p90 {Stats.Percentile(samples, 90):F0} ms (target p50 < 250 ms), 20 runs");
    string[] names = ["create", "queue", "provision", "runner start", "fetch", "clone", "branch", "sandbox", "CLI start", "output to SSE"];
    Report("first line, medians of 20 (ms): " + string.Join(" + ", names.Select((n, k) => $"{n} {Stats.Median(parts.Select(p => p[k]).ToList()):F1}")));
}

// Where the time to the first line goes, from the task's events and the runner's progress lines (the Host's stamps):
// create (the command until it returns), queue (created → the scheduler's pass asks for a workspace), provision
// (→ workspace ready: the runner's process started), runner start (→ its fetch starts, counted back from the time it reports),
// fetch, clone, branch, sandbox (→ "agent started"), CLI start (→ the agent's first line read by the Host), output to
// SSE (→ received by the client).
static double[] FirstLineBreakdown(DateTimeOffset t0, double created, double received,
    List<(DateTimeOffset At, string Kind, string Message)> lines, IReadOnlyList<JasperFx.Events.IEvent> events)
{
    double Ms(DateTimeOffset at) => (at - t0).TotalMilliseconds;
    double Event<T>(Func<T, DateTimeOffset> at) => events.Select(e => e.Data).OfType<T>().Select(e => Ms(at(e))).DefaultIfEmpty(double.NaN).First();
    double Line(string prefix) => lines.Where(l => l.Kind == "system" && l.Message.StartsWith(prefix, StringComparison.Ordinal))
        .Select(l => Ms(l.At)).DefaultIfEmpty(double.NaN).First();
    var requested = Event<WorkspaceRequested>(e => e.At);
    var ready = Event<WorkspaceReady>(e => e.At);
    var fetchLine = lines.FirstOrDefault(l => l.Message.StartsWith("repository cache fetched in ", StringComparison.Ordinal)).Message;
    var fetch = fetchLine is null ? 0 : double.Parse(fetchLine.Split(' ')[4], CultureInfo.InvariantCulture);
    // The runner's start: its fetch's start (its own figure, counted back from its line), or its first line without a cache.
    var runnerStarted = fetchLine is not null ? Line("repository cache fetched in ") - fetch : Line("cloning ");
    var fetched = fetchLine is not null ? Line("repository cache fetched in ") : runnerStarted;
    var cloned = Line("cloned ");
    var branched = Line("branch ");
    var agent = Line("agent started");
    var first = lines.Where(l => l.Message.Contains("first-line")).Select(l => Ms(l.At)).First();
    return [created, requested - created, ready - requested, runnerStarted - ready, fetch, (double.IsNaN(cloned) ? branched : cloned) - fetched,
        double.IsNaN(cloned) ? 0 : branched - cloned, agent - branched, first - agent, received - first];
}

if (which.Contains("throughput"))
{
    const int lines = 200_000;
    // One unmeasured run first: the figure is that of a Host whose output path has been compiled by the runtime's
    // optimising tier (a Host that has been running a while), not of its first high-volume task.
    await Finished(await Create($"seq 1 {lines} | sed 's/^/warm-up /'"));
    var sw = Stopwatch.StartNew();
    var id = await Create($"seq 1 {lines} | sed 's/^/line /'");
    var task = await Finished(id);
    var total = sw.Elapsed;
    var logs = services.GetRequiredService<Catalyst.Tasks.Logs.TaskLogReader>();
    long after = 0, expected = 1, count = 0;
    DateTimeOffset? first = null, last = null;
    while (true)
    {
        var page = await logs.ReadAsync(id, new(after, Limit: 10_000), CancellationToken.None);
        foreach (var l in page)
        {
            if (l.Message.StartsWith("line ") )
            {
                if (l.Message != $"line {expected}") throw new InvalidOperationException($"out of order at {l.Sequence}: {l.Message}");
                expected++; count++;
                first ??= l.Timestamp; last = l.Timestamp;
            }
        }
        if (page.Count < 10_000) break;
        after = page[^1].Sequence;
    }
    if (count != lines) throw new InvalidOperationException($"stored {count} of {lines}");
    var agentSpan = (task.EndedAt!.Value - task.StartedAt!.Value).TotalSeconds;
    Report($"throughput: {lines:N0} lines all stored in order; create→completed {total.TotalSeconds:F2} s; agent start→task end {agentSpan:F2} s = {lines / agentSpan:N0} lines/s end to end (target ≥ 50,000)");
}

if (which.Contains("load") || which.Contains("load-list"))
    await LoadScenario.MeasureAsync(services, origin, http.BaseAddress!, Report, runTasks: which.Contains("load"), postgresDirectory: cluster.Directory);

// Also part of the load scenario (50 viewers of one task), run after it with its 10,000 tasks stored.
if (which.Contains("latency") || which.Contains("load"))
{
    const int clients = 50, lines = 2000;
    var id = await Create($"sleep 2; for i in $(seq 1 {lines}); do echo \"t $(date +%s%N)\"; done");
    var samples = new List<double>();
    var watchers = Enumerable.Range(0, clients).Select(async _ =>
    {
        var mine = await FollowAndTimeLines(http.BaseAddress!, id);
        lock (samples) samples.AddRange(mine);
    }).ToArray();
    await Task.WhenAll(watchers);
    await Finished(id);
    Report($"latency: line printed → received by each of {clients} SSE clients: p50 {Stats.Percentile(samples, 50):F1} ms, p99 {Stats.Percentile(samples, 99):F1} ms, max {samples.Max():F1} ms over {samples.Count:N0} receipts (target p99 < 100 ms)");
}

// A second node on the same database; the viewers follow, on the node that does not run it, a task the other node runs.
// The large repository after the other figures: writing its gigabyte of files leaves the disk busy for a while
// after, which the small-repository, throughput and latency figures must not pay for.
if (which.Contains("start"))
{
    var runner = LocalWorkspaceOptions.FindRunnerDirectory(null) ?? throw new InvalidOperationException("runner/ not found");
    await RepositoryStart.MeasureAsync(root, runner, Report);
}

if (which.Contains("queued-start"))
{
    var runner = LocalWorkspaceOptions.FindRunnerDirectory(null) ?? throw new InvalidOperationException("runner/ not found");
    await QueuedStart.MeasureAsync(root, runner, Report);
}

if (which.Contains("cross-node"))
{
    const int clients = 10, lines = 2000;
    await using var second = Node("data-b");
    second.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
    second.StartServer();
    var nodes = new Dictionary<string, Uri>
    {
        [services.GetRequiredService<Catalyst.Tasks.Nodes.CatalystNode>().Id] = factory.ClientOptions.BaseAddress,
        [second.Services.GetRequiredService<Catalyst.Tasks.Nodes.CatalystNode>().Id] = second.ClientOptions.BaseAddress,
    };
    var samples = new List<double>();
    for (var round = 0; round < 3; round++)
    {
        var id = await Create($"sleep 2; for i in $(seq 1 {lines}); do echo \"t $(date +%s%N)\"; done");
        AgentTask? asked = null;
        while (asked?.Node is null)
        {
            await using var session = store.QuerySession();
            asked = await session.LoadAsync<AgentTask>(id);
            await Task.Delay(5);
        }
        var viewer = nodes.Single(n => n.Key != asked.Node).Value;
        var watchers = Enumerable.Range(0, clients).Select(async _ =>
        {
            var mine = await FollowAndTimeLines(viewer, id);
            if (mine.Count != lines) throw new InvalidOperationException($"a viewer on the other node got {mine.Count} of {lines} lines");
            lock (samples) samples.AddRange(mine);
        }).ToArray();
        await Task.WhenAll(watchers);
        await Finished(id);
    }
    Report($"cross-node: line printed on one node's agent → received by each of {clients} SSE clients on the other node: p50 {Stats.Percentile(samples, 50):F1} ms, " +
           $"p99 {Stats.Percentile(samples, 99):F1} ms, max {samples.Max():F1} ms over {samples.Count:N0} receipts, 3 tasks of {lines} lines (target p99 ≤ 250 ms)");
}

if (which.Contains("broker"))
{
    // One loopback model server; the same requests straight to it and through the broker, interleaved, in one run.
    var model = WebApplication.CreateSlimBuilder();
    model.Logging.ClearProviders();
    model.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
    var vendor = model.Build();
    const string answer = "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\",\"content\":[{\"type\":\"text\",\"text\":\"Done.\"}]," +
                          "\"usage\":{\"input_tokens\":1200,\"cache_read_input_tokens\":4000,\"output_tokens\":85}}";
    vendor.MapPost("/v1/messages", async (HttpContext c) =>
    {
        using var body = new StreamReader(c.Request.Body);
        var streamed = (await body.ReadToEndAsync()).Contains("\"stream\":true");
        if (!streamed) { c.Response.ContentType = "application/json"; await c.Response.WriteAsync(answer); return; }
        c.Response.ContentType = "text/event-stream";
        await c.Response.WriteAsync("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-sonnet-4-5\",\"usage\":{\"input_tokens\":1200,\"output_tokens\":1}}}\n\n");
        await c.Response.Body.FlushAsync();
        await Task.Delay(5);
        await c.Response.WriteAsync("event: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":85}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
    });
    await vendor.StartAsync();
    var vendorUrl = vendor.Urls.First();

    var claude = (await bus.InvokeAsync<Result<CredentialView>>(new AddAgentCredential(user.Id, "claude-code", "sk-ant-api03-bench-0123456789abcdef", "bench", BaseUrl: vendorUrl))).Value!.Id;
    var taskId = Guid.CreateVersion7();
    ((await bus.InvokeAsync<CredentialRef?>(new GrantCredentialToTask(user.Id, claude, taskId))) is not null).ShouldBeTrue();
    var provider = (await bus.InvokeAsync<AgentProviderInfo?>(new GetAgentProvider("claude-code")))!;
    var access = (await bus.InvokeAsync<Catalyst.Contracts.TaskAccess?>(new IssueTaskToken(taskId, claude, provider)))!;
    var broker = services.GetRequiredService<LlmBrokerEndpoint>().Url;
    // A second task with a budget it never reaches: its spend is read before and recorded after every call.
    var budgetedId = Guid.CreateVersion7();
    ((await bus.InvokeAsync<CredentialRef?>(new GrantCredentialToTask(user.Id, claude, budgetedId))) is not null).ShouldBeTrue();
    var budgeted = (await bus.InvokeAsync<Catalyst.Contracts.TaskAccess?>(new IssueTaskToken(budgetedId, claude, provider) { Budget = new TaskBudget(1_000_000_000_000, null) }))!;

    using var direct = new HttpClient { BaseAddress = new Uri(vendorUrl) };
    using var brokered = new HttpClient { BaseAddress = broker };
    using var brokeredWithBudget = new HttpClient { BaseAddress = broker };
    HttpRequestMessage Call(HttpClient client, bool stream)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages")
        {
            Content = new StringContent($"{{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":1024,\"stream\":{(stream ? "true" : "false")},\"messages\":[{{\"role\":\"user\",\"content\":\"Write the README.\"}}]}}",
                System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("x-api-key", client == brokered ? access.Token : client == brokeredWithBudget ? budgeted.Token : "sk-ant-api03-bench-0123456789abcdef");
        request.Headers.Add("anthropic-version", "2023-06-01");
        return request;
    }
    async Task<double> Whole(HttpClient client)
    {
        var watch = Stopwatch.StartNew();
        using var response = await client.SendAsync(Call(client, stream: false));
        await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"HTTP {(int)response.StatusCode}");
        return watch.Elapsed.TotalMilliseconds;
    }
    async Task<double> FirstByte(HttpClient client)
    {
        var watch = Stopwatch.StartNew();
        using var response = await client.SendAsync(Call(client, stream: true), HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        var one = new byte[1];
        await body.ReadExactlyAsync(one);
        var first = watch.Elapsed.TotalMilliseconds;
        await body.CopyToAsync(Stream.Null);
        return first;
    }

    for (var i = 0; i < 300; i++) { await Whole(direct); await Whole(brokered); await Whole(brokeredWithBudget); }
    const int runs = 2000, streams = 300;
    List<double> straight = [], through = [], throughBudgeted = [], straightFirst = [], throughFirst = [];
    for (var i = 0; i < runs; i++) { straight.Add(await Whole(direct)); through.Add(await Whole(brokered)); throughBudgeted.Add(await Whole(brokeredWithBudget)); }
    for (var i = 0; i < streams; i++) { straightFirst.Add(await FirstByte(direct)); throughFirst.Add(await FirstByte(brokered)); }
    double P(List<double> xs, double p) => Stats.Percentile(xs, p);
    Report($"broker: {runs:N0} requests each way: direct p50 {P(straight, 50):F2} ms, p99 {P(straight, 99):F2} ms; through the broker p50 {P(through, 50):F2} ms, p99 {P(through, 99):F2} ms; " +
           $"added p50 {P(through, 50) - P(straight, 50):F2} ms (target ≤ 2), p99 {P(through, 99) - P(straight, 99):F2} ms (target ≤ 10)");
    Report($"broker with a budget: {runs:N0} requests: p50 {P(throughBudgeted, 50):F2} ms, p99 {P(throughBudgeted, 99):F2} ms; " +
           $"added p50 {P(throughBudgeted, 50) - P(straight, 50):F2} ms (target ≤ 2), p99 {P(throughBudgeted, 99) - P(straight, 99):F2} ms (target ≤ 10)");
    Report($"broker first byte: {streams} streamed answers each way: direct p50 {P(straightFirst, 50):F2} ms; through the broker p50 {P(throughFirst, 50):F2} ms, p99 {P(throughFirst, 99):F2} ms; " +
           $"added p50 {P(throughFirst, 50) - P(straightFirst, 50):F2} ms, p99 {P(throughFirst, 99) - P(straightFirst, 99):F2} ms (target: first byte within 5 ms)");
    await vendor.StopAsync();
}

var output = Environment.GetEnvironmentVariable("CATALYST_BENCH_OUTPUT");
if (output is not null) await File.AppendAllLinesAsync(output, report);
await factory.DisposeAsync();
await cluster.DisposeAsync();
try { Directory.Delete(root, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
return 0;

static class Stats
{
    public static double Median(List<double> xs) => Percentile(xs, 50);
    public static double Percentile(List<double> xs, double p)
    {
        var sorted = xs.Order().ToArray();
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }
}

static class Git
{
    public static string CreateOrigin(string root)
    {
        var origin = Path.Combine(root, "origin.git");
        Run(root, "git", "init", "--quiet", "--bare", "--initial-branch=main", origin);
        var seed = Path.Combine(root, "seed");
        Run(root, "git", "clone", "--quiet", origin, seed);
        File.WriteAllText(Path.Combine(seed, "README.md"), "bench\n");
        Run(seed, "git", "add", ".");
        Run(seed, "git", "-c", "user.name=b", "-c", "user.email=b@b", "commit", "--quiet", "-m", "init");
        Run(seed, "git", "push", "--quiet", "origin", "HEAD:refs/heads/main");
        return origin;
    }

    /// <summary>The same entrypoint and agent without Catalyst: the baseline the overhead is measured against.</summary>
    public static double RunRunnerDirectly(string root, string origin, int run)
    {
        var dir = Path.Combine(root, $"direct-{run}");
        Directory.CreateDirectory(Path.Combine(dir, "home"));
        var prompt = Path.Combine(dir, "prompt.md");
        File.WriteAllText(prompt, "true\n");
        var argv = Path.Combine(dir, "argv");
        File.WriteAllText(argv, $"bash\0{prompt}\0");
        var entry = Path.Combine(FindRunner(), "entrypoint.sh");
        var start = new ProcessStartInfo("bash", [entry]) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = dir };
        start.Environment.Clear();
        start.Environment["PATH"] = "/usr/local/bin:/usr/bin:/bin";
        start.Environment["HOME"] = Path.Combine(dir, "home");
        start.Environment["CATALYST_TASK_ID"] = Guid.NewGuid().ToString();
        start.Environment["CATALYST_REPOSITORY_URL"] = origin;
        start.Environment["CATALYST_BASE_BRANCH"] = "main";
        start.Environment["CATALYST_WORK_BRANCH"] = $"direct/{run}";
        start.Environment["CATALYST_WORKSPACE"] = dir;
        start.Environment["CATALYST_PROMPT_FILE"] = prompt;
        start.Environment["CATALYST_AGENT_ARGV_FILE"] = argv;
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(start)!;
        p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        return sw.Elapsed.TotalMilliseconds;
    }

    private static string FindRunner()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "runner", "entrypoint.sh"))) return Path.Combine(d.FullName, "runner");
        throw new InvalidOperationException("runner/entrypoint.sh not found");
    }

    private static void Run(string dir, string program, params string[] args)
    {
        var start = new ProcessStartInfo(program, args) { WorkingDirectory = dir, RedirectStandardError = true, RedirectStandardOutput = true };
        using var p = Process.Start(start)!;
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', args)}: {p.StandardError.ReadToEnd()}");
    }
}

static class Check
{
    public static void ShouldBeTrue(this bool value) { if (!value) throw new InvalidOperationException("set-up failed"); }
}
