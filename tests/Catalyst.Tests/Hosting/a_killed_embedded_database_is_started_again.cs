using System.Diagnostics;
using System.Net;
using System.Text;
using Catalyst.Tasks.Domain;
using Catalyst.Tests.Credentials;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Tasks;
using Catalyst.Tests.Workspaces;
using JasperFx;
using Marten;
using Npgsql;

namespace Catalyst.Tests.Hosting;

/// <summary>
/// The Host as `dotnet run` starts it, its embedded PostgreSQL killed with SIGKILL while a task runs: the Host starts it
/// again, says what it is doing on /health, answers 503 with a message meanwhile, and the task's output and end, which
/// came while the database was down, are stored once it is back.
/// </summary>
[Trait("Category", "Hosting")]
public sealed class a_killed_embedded_database_is_started_again : IAsyncLifetime
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), $"catalyst-outage-{Guid.NewGuid():N}"[..30]);
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();
    private string Cluster => Path.Combine(_dataDirectory, "postgres");
    private string PgVersion => Path.Combine(Cluster, "data", "PG_VERSION");

    [Fact]
    public async Task a_task_running_when_postgres_is_killed_completes_with_its_commit_and_every_line_stored_once()
    {
        var port = HostProcess.FreePort();
        var markers = Directory.CreateDirectory(Path.Combine(_sandbox.Root, "markers")).FullName;
        string Marker(string name) => Path.Combine(markers, name);
        await using var host = await HostProcess.StartAsync(_dataDirectory, port, Settings(restartAttempts: 100));
        using var ada = new PageClient(new SocketsHttpHandler { AllowAutoRedirect = false }, new Uri($"http://127.0.0.1:{port}"));
        (await ada.PostFormAsync("/signup", new() { ["Email"] = "ada@example.com", ["Password"] = "a long password" })).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        await ada.CreateProjectAsync( "outage", _sandbox.Origin);
        using var store = OpenStore();
        var credential = await ada.AddCredentialAsync(store, "aider", "sk-outage-5f2a9c0d7e1b4a66", "outage", baseUrl: "http://127.0.0.1:9/v1");

        var taskId = await StartTaskAsync(ada, credential, $"""
            for i in $(seq 1 20); do echo "before $i"; done
            touch {Marker("started")}
            while [ ! -f {Marker("go")} ]; do sleep 0.1; done
            for i in $(seq 1 300); do echo "during $i"; done
            echo "written while the database was down" > outage.txt
            git add outage.txt
            git -c user.name=Agent -c user.email=agent@example.com commit -q -m "Written while the database was down"
            """);
        await WaitForAsync(() => File.Exists(Marker("started")), "the agent to start", host);

        // The server cannot start again until the test gives PG_VERSION back: the outage lasts as long as the test needs.
        File.Move(PgVersion, PgVersion + ".hidden");
        KillPostmaster();
        await WaitForAsync(() => host.Output.Contains("Starting the embedded PostgreSQL failed (attempt 1 of 100)"), "a failed restart", host);

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        var ready = await http.GetAsync("/health/ready");
        ready.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        (await ready.Content.ReadAsStringAsync()).ShouldContain("the database cannot be reached");
        var live = await http.GetAsync("/health");
        live.StatusCode.ShouldBe(HttpStatusCode.OK, "the Host is starting its database again: no reason for a supervisor to restart it");
        (await live.Content.ReadAsStringAsync()).ShouldContain("the embedded PostgreSQL stopped; starting it again (attempt");

        // A person's page: 503 with a page that says what is going on.
        var page = await ada.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/projects") { Headers = { { "Accept", "text/html" } } });
        page.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        page.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        (await page.Content.ReadAsStringAsync()).ShouldContain("The database is unavailable at the moment");
        // An API client: ProblemDetails.
        var api = await ada.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/api/projects") { Headers = { { "Accept", "application/json" } } });
        api.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        api.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        (await api.Content.ReadAsStringAsync()).ShouldContain("The database is unavailable at the moment");
        // MCP: a JSON-RPC error with the same message (the token cannot be looked up).
        var mcp = new HttpRequestMessage(HttpMethod.Post, "/mcp")
        {
            Content = new StringContent("""{"jsonrpc":"2.0","id":1,"method":"tools/list"}""", Encoding.UTF8, "application/json"),
            Headers = { { "Authorization", "Bearer cat_not-checkable-while-the-database-is-down" }, { "Accept", "application/json, text/event-stream" } },
        };
        var mcpResponse = await http.SendAsync(mcp);
        mcpResponse.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        (await mcpResponse.Content.ReadAsStringAsync()).ShouldContain("The database is unavailable at the moment");

        // The agent prints, commits and exits while the database is still down; the runner pushes.
        File.WriteAllText(Marker("go"), "");
        await WaitForAsync(() => Branches().Length > 0, "the task's branch in the origin", host);
        var pushed = Branches().Single();

        File.Move(PgVersion + ".hidden", PgVersion);
        await WaitForAsync(() => host.Output.Contains("The embedded PostgreSQL was started again"), "the restart", host);

        var task = await store.WaitForAsync(taskId, t => t.Status.IsFinished(), seconds: 120);
        task.Status.ShouldBe(AgentTaskStatus.Completed, task.Error);
        task.Commits.Count.ShouldBe(1);
        task.Commits[0].Message.ShouldBe("Written while the database was down");
        task.BranchPushed.ShouldBeTrue();
        $"refs/heads/{task.WorkBranch}".ShouldBe(pushed);

        var lines = await LogLinesAsync(taskId);
        lines.Where(l => l.StartsWith("before ") || l.StartsWith("during ")).ShouldBe(
            [.. Enumerable.Range(1, 20).Select(i => $"before {i}"), .. Enumerable.Range(1, 300).Select(i => $"during {i}")],
            "every line, once, in the order printed");
        lines.ShouldContain(l => l.StartsWith("1 commit captured, pushed to "));
        lines.Last().ShouldStartWith("Task completed: 1 commit on ");

        (await http.GetStringAsync("/health")).ShouldBe("Healthy");
        (await http.GetStringAsync("/health/ready")).ShouldBe("Healthy");
        var output = host.Output;
        var attempts = Count(output, "starting it again (attempt");
        attempts.ShouldBeGreaterThan(1);
        Count(output, "Starting the embedded PostgreSQL failed").ShouldBe(attempts - 1, "one failure logged per failed attempt");
        Count(output, $"wait until it is back").ShouldBe(1, "the waiting task is logged once, not once per try");
        output.ShouldNotContain("Could not publish");
    }

    [Fact]
    public async Task a_host_killed_while_it_waits_to_store_a_pushed_task_reads_its_end_back_when_it_starts_again()
    {
        var port = HostProcess.FreePort();
        var markers = Directory.CreateDirectory(Path.Combine(_sandbox.Root, "markers")).FullName;
        string Marker(string name) => Path.Combine(markers, name);
        var settings = Settings(restartAttempts: 100);
        var first = await HostProcess.StartAsync(_dataDirectory, port, settings);
        using var ada = new PageClient(new SocketsHttpHandler { AllowAutoRedirect = false }, new Uri($"http://127.0.0.1:{port}"));
        (await ada.PostFormAsync("/signup", new() { ["Email"] = "ada@example.com", ["Password"] = "a long password" })).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        await ada.CreateProjectAsync("outage", _sandbox.Origin);
        using var store = OpenStore();
        var credential = await ada.AddCredentialAsync(store, "aider", "sk-outage-5f2a9c0d7e1b4a66", "outage", baseUrl: "http://127.0.0.1:9/v1");
        var taskId = await StartTaskAsync(ada, credential, $"""
            touch {Marker("started")}
            while [ ! -f {Marker("go")} ]; do sleep 0.1; done
            echo "written while the database was down" > outage.txt
            git add outage.txt
            git -c user.name=Agent -c user.email=agent@example.com commit -q -m "Written while the database was down"
            """);
        var workspace = Path.Combine(_dataDirectory, "workspaces", taskId.ToString());
        string pushed;
        try
        {
            await WaitForAsync(() => File.Exists(Marker("started")), "the agent to start", first);
            File.Move(PgVersion, PgVersion + ".hidden");
            KillPostmaster();
            await WaitForAsync(() => first.Output.Contains("Starting the embedded PostgreSQL failed (attempt 1 of 100)"), "a failed restart", first);

            // The agent commits and exits, the runner pushes; the Host has the end but cannot store it.
            File.WriteAllText(Marker("go"), "");
            await WaitForAsync(() => Branches().Length > 0, "the task's branch in the origin", first);
            pushed = Branches().Single();
            await WaitForAsync(() => first.Output.Contains($"Workspace of task {taskId} ended (Exited, exit code 0)"), "the Host to see the end", first);
            // Killed before the database is back: what it held in memory is gone.
            await first.KillAsync();
        }
        finally
        {
            await first.DisposeAsync();
        }

        File.Move(PgVersion + ".hidden", PgVersion);
        await using var again = await HostProcess.StartAsync(_dataDirectory, port, settings);
        var task = await store.WaitForAsync(taskId, t => t.Status.IsFinished(), seconds: 120);
        task.Status.ShouldBe(AgentTaskStatus.Completed, task.Error);
        task.Commits.ShouldHaveSingleItem().Message.ShouldBe("Written while the database was down");
        task.BranchPushed.ShouldBeTrue();
        $"refs/heads/{task.WorkBranch}".ShouldBe(pushed);
        _sandbox.Git(_sandbox.Root, "--git-dir", _sandbox.Origin, "rev-parse", pushed).Trim().ShouldBe(task.Commits[0].Sha);

        var lines = await LogLinesAsync(taskId);
        lines.ShouldContain(Catalyst.Tasks.ReconcileAgentTasksHandler.ReadBackMessage);
        lines.ShouldContain(l => l.StartsWith("1 commit captured, pushed to "));
        lines.Last().ShouldStartWith("Task completed: 1 commit on ");
        lines.ShouldNotContain(l => l.Contains("commits the agent had not pushed are lost"));
        // Read back once, then nothing of it is left on disk.
        await WaitForAsync(() => !Directory.Exists(workspace) && !Directory.EnumerateFiles(Path.GetDirectoryName(workspace)!, $"{taskId}*").Any(),
            "the workspace and its kept end to be removed", again, seconds: 30);
    }

    [Fact]
    public async Task the_host_gives_up_after_its_attempts_and_fails_liveness_until_the_database_runs_again()
    {
        var port = HostProcess.FreePort();
        await using var host = await HostProcess.StartAsync(_dataDirectory, port, Settings(restartAttempts: 2));
        File.Move(PgVersion, PgVersion + ".hidden");
        KillPostmaster();
        await WaitForAsync(() => host.Output.Contains("did not start again after 2 attempts"), "the Host to give up", host);

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        var live = await http.GetAsync("/health");
        live.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable, "a supervisor must restart a Host that cannot start its database");
        (await live.Content.ReadAsStringAsync()).ShouldContain("did not start again after 2 attempts");
        (await http.GetAsync("/health/ready")).StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        Count(host.Output, "starting it again (attempt").ShouldBe(2);

        // Started by hand (an operator fixed the cause): healthy again, without another attempt.
        File.Move(PgVersion + ".hidden", PgVersion);
        await StartByHandAsync();
        await WaitForAsync(() => host.Output.Contains("The embedded PostgreSQL is running again"), "the Host to see it", host);
        (await http.GetStringAsync("/health")).ShouldBe("Healthy");
        await WaitForAsync(() => http.GetAsync("/health/ready").Result.IsSuccessStatusCode, "readiness", host);
        Count(host.Output, "starting it again (attempt").ShouldBe(2);
    }

    [Fact]
    public async Task a_cluster_left_running_by_a_killed_host_is_adopted_and_stopped_with_the_next_host()
    {
        var port = HostProcess.FreePort();
        var first = await HostProcess.StartAsync(_dataDirectory, port);
        await first.KillAsync();
        await first.DisposeAsync();
        var pid = PostmasterPid();
        ProcessRuns(pid).ShouldBeTrue("SIGKILL gives the Host no chance to stop its PostgreSQL");

        await using (var second = await HostProcess.StartAsync(_dataDirectory, port))
        {
            PostmasterPid().ShouldBe(pid, "the running cluster is taken over, not started twice");
        }
        File.Exists(Path.Combine(Cluster, "data", "postmaster.pid")).ShouldBeFalse("the adopted PostgreSQL stops with the Host that adopted it");
        ProcessRuns(pid).ShouldBeFalse();
    }

    private Dictionary<string, string> Settings(int restartAttempts) => new()
    {
        ["Catalyst__Database__CheckSeconds"] = "0.5",
        ["Catalyst__Database__RestartAttempts"] = restartAttempts.ToString(),
        ["Catalyst__Database__MaxBackoffSeconds"] = "2",
        ["Catalyst__Workspaces__ToolDirectories"] = FakeAider(),
        ["Catalyst__Workspaces__Sandbox"] = "off",
        ["Catalyst__Workspaces__StopGraceSeconds"] = "2",
        ["Catalyst__Projects__LocalRepositoryRoots"] = Path.GetTempPath(),
        ["Catalyst__CredentialTestTimeoutSeconds"] = "1.5",
    };

    /// <summary>An `aider` that runs its message file (the task's instructions) as a bash script: found on the tool directories, so nothing is installed.</summary>
    private string FakeAider()
    {
        var tools = Directory.CreateDirectory(Path.Combine(_sandbox.Root, "tools")).FullName;
        var aider = Path.Combine(tools, "aider");
        File.WriteAllText(aider, "#!/bin/bash\n# aider --message-file <file> ...\nexec bash \"$2\"\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(aider, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead
            | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        return tools;
    }

    private static async Task<Guid> StartTaskAsync(PageClient client, Guid credentialId, string script)
    {
        var response = await client.PostFormAsync("/projects/outage/agents/new", new()
        {
            ["Type"] = "feature-dev", ["Provider"] = "aider", ["CredentialId"] = credentialId.ToString(), ["Instructions"] = script,
        });
        response.StatusCode.ShouldBe(HttpStatusCode.Redirect, await response.Content.ReadAsStringAsync());
        return Guid.Parse(response.Headers.Location!.ToString().Split('/').Last());
    }

    private string[] Branches() =>
        _sandbox.Git(_sandbox.Root, "--git-dir", _sandbox.Origin, "for-each-ref", "--format=%(refname)", "refs/heads/catalyst/")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private string ConnectionString() => new NpgsqlConnectionStringBuilder
    {
        Host = Path.Combine(Cluster, "run"), Port = 5432, Username = "postgres", Database = "catalyst",
        Password = File.ReadAllText(Path.Combine(Cluster, "password")).Trim(), Pooling = false,
    }.ConnectionString;

    /// <summary>The Host's own database, read as the Tasks module stores it.</summary>
    private DocumentStore OpenStore() => DocumentStore.For(o =>
    {
        o.Connection(ConnectionString());
        o.DatabaseSchemaName = "catalyst";
        o.Events.DatabaseSchemaName = "events";
        o.Schema.For<AgentTask>().DatabaseSchemaName(Catalyst.Tasks.TasksModule.Schema);
        o.Schema.For<Catalyst.Credentials.UserAgentCredential>().DatabaseSchemaName(Catalyst.Credentials.CredentialsModule.Schema);
        o.AutoCreateSchemaObjects = AutoCreate.None;
    });

    private async Task<List<string>> LogLinesAsync(Guid taskId)
    {
        await using var connection = new NpgsqlConnection(ConnectionString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"select message from {Catalyst.Tasks.Logs.TaskLogWriter.Table} where task_id = $1 order by seq", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = taskId });
        var lines = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) lines.Add(reader.GetString(0));
        return lines;
    }

    private int PostmasterPid() => int.Parse(File.ReadLines(Path.Combine(Cluster, "data", "postmaster.pid")).First());

    private void KillPostmaster()
    {
        using var kill = Process.Start("kill", ["-KILL", PostmasterPid().ToString()])!;
        kill.WaitForExit();
        kill.ExitCode.ShouldBe(0);
    }

    private static bool ProcessRuns(int pid) =>
        File.Exists($"/proc/{pid}/stat") && File.ReadAllText($"/proc/{pid}/stat").Split(')').Last().TrimStart() is [not ('Z' or 'X'), ..];

    /// <summary>
    /// pg_ctl start, as an operator would (as postgres when the tests run as root), tried again for a few seconds as an
    /// operator would: right after a SIGKILL the old server's children may still hold its shared memory, and the new one
    /// refuses to start until they are gone.
    /// </summary>
    private async Task StartByHandAsync()
    {
        var said = "";
        for (var attempt = 1; attempt <= 10; attempt++)
        {
            var (exitCode, output) = await PgCtlStartAsync();
            if (exitCode == 0) return;
            said += $"attempt {attempt}: {output}\n";
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
        throw new Shouldly.ShouldAssertException($"pg_ctl start never succeeded:\n{said}");
    }

    private async Task<(int ExitCode, string Output)> PgCtlStartAsync()
    {
        var pgCtl = Path.Combine(Catalyst.Host.Database.PostgresCluster.FindServerBinaries()!, "pg_ctl");
        string[] args = ["start", "-w", "-D", Path.Combine(Cluster, "data"), "-l", Path.Combine(Cluster, "postgres.log"),
            "-o", $"-k {Path.Combine(Cluster, "run")} -p 5432 -c listen_addresses='' -c unix_socket_permissions=0700"];
        var start = Environment.IsPrivilegedProcess ? new ProcessStartInfo("runuser", ["-u", "postgres", "--", pgCtl, .. args]) : new ProcessStartInfo(pgCtl, args);
        start.RedirectStandardOutput = start.RedirectStandardError = true;
        using var process = Process.Start(start)!;
        var said = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, said);
    }

    private static int Count(string text, string part)
    {
        var count = 0;
        for (var at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal)) count++;
        return count;
    }

    private static async Task WaitForAsync(Func<bool> condition, string what, HostProcess host, int seconds = 90)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Waited {seconds} s for {what}. The Host said:\n{host.Output}");
            await Task.Delay(100);
        }
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (File.Exists(PgVersion + ".hidden")) File.Move(PgVersion + ".hidden", PgVersion);
        // A test that failed half-way may leave a server behind.
        if (File.Exists(Path.Combine(Cluster, "data", "postmaster.pid")) && ProcessRuns(PostmasterPid())) KillPostmaster();
        _sandbox.Dispose();
        await Task.Delay(500); // its backends end when they see the postmaster gone
        try { Directory.Delete(_dataDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
