using Alba;
using Catalyst.Tasks.Domain;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Workspaces;
using JasperFx.CommandLine;
using Marten;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Wolverine;

namespace Catalyst.Tests.Tasks;

/// <summary>Stopping the Host with one task running and one waiting: after a start, neither is stuck and no log line is lost.</summary>
[Collection("integration")]
public sealed class tasks_survive_a_host_restart(TestDatabase database) : IDisposable
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), $"catalyst-restart-{Guid.NewGuid():N}");

    public void Dispose()
    {
        _sandbox.Dispose();
        try { Directory.Delete(_dataDirectory, recursive: true); } catch (IOException) { }
    }

    private Task<IAlbaHost> StartHost(string connection) => AlbaHost.For<Program>(web =>
    {
        web.UseEnvironment("Development");
        web.UseSetting("ConnectionStrings:Catalyst", connection);
        web.UseSetting("CATALYST_DATA_DIR", _dataDirectory);
        web.UseSetting("Catalyst:Workspaces:MaxConcurrent", "1");
        web.UseSetting("Catalyst:Workspaces:StopGraceSeconds", "2");
        foreach (var (key, value) in TestSettings.Values) web.UseSetting(key, value);
        web.ConfigureServices(services =>
        {
            services.AddSingleton(ScriptAgent.Definition);
            services.RunWolverineInSoloMode();
            services.DisableAllExternalWolverineTransports();
        });
    });

    [Fact]
    public async Task a_running_and_a_pending_task_are_settled_after_a_restart()
    {
        var connection = await database.CreateDatabaseAsync("catalyst_restart");
        JasperFxEnvironment.AutoStartHost = true;
        Guid running, waiting;
        await using (var first = await StartHost(connection))
        {
            using var ada = new PageClient(first.Server.CreateHandler());
            (await ada.PostFormAsync("/signup", new() { ["Email"] = "ada@example.com", ["Password"] = "a long password" })).StatusCode
                .ShouldBe(System.Net.HttpStatusCode.Redirect);
            await ada.CreateProjectAsync("restart", _sandbox.Origin);
            var store = first.Services.GetRequiredService<IDocumentStore>();
            var credential = await ada.AddScriptCredentialAsync(store);
            running = await ada.StartTaskAsync("restart", credential, "echo 'before the restart'; sleep 300");
            await store.WaitForAsync(running, t => t.Status == AgentTaskStatus.Running);
            waiting = await ada.StartTaskAsync("restart", credential, "echo 'the waiting task ran'");
            for (var i = 0; i < 50 && !(await first.Services.LogsAsync(running)).Any(l => l.Message == "before the restart"); i++) await Task.Delay(100);
            await using var session = store.QuerySession();
            (await session.LoadAsync<AgentTask>(waiting))!.Status.ShouldBe(AgentTaskStatus.Pending);
        }

        await using var second = await StartHost(connection);
        var secondStore = second.Services.GetRequiredService<IDocumentStore>();
        var interrupted = await secondStore.WaitUntilFinishedAsync(running);
        interrupted.Status.ShouldBe(AgentTaskStatus.Failed);
        interrupted.Error.ShouldNotBeNullOrWhiteSpace();
        (await second.Services.LogsAsync(running)).ShouldContain(l => l.Message == "before the restart");

        var resumed = await secondStore.WaitUntilFinishedAsync(waiting);
        resumed.Status.ShouldBe(AgentTaskStatus.Completed, resumed.Error);
        (await second.Services.LogsAsync(waiting)).ShouldContain(l => l.Message == "the waiting task ran");
    }
}
