using System.Net;
using Catalyst.Tests.Infrastructure;

namespace Catalyst.Tests.Hosting;

/// <summary>The README's run command, for real: no connection string, so the Host starts and stops its own PostgreSQL.</summary>
public sealed class the_embedded_database_survives_a_restart : IAsyncLifetime
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), $"catalyst-embedded-{Guid.NewGuid():N}"[..30]);

    [Fact]
    public async Task data_written_before_a_stop_is_there_after_a_start_and_postgres_stops_with_the_host()
    {
        var port = HostProcess.FreePort();
        await using (var first = await HostProcess.StartAsync(_dataDirectory, port))
        {
            first.Output.ShouldContain("Catalyst is running at");
            using var ada = new PageClient(new SocketsHttpHandler { AllowAutoRedirect = false }, new Uri($"http://127.0.0.1:{port}"));
            var signUp = await ada.PostFormAsync("/signup", new() { ["Email"] = "ada@example.com", ["Password"] = "a long password" });
            signUp.StatusCode.ShouldBe(HttpStatusCode.Redirect);
            var created = await ada.PostFormAsync("/projects/new", new()
            {
                ["Form.Name"] = "Survivor", ["Form.Slug"] = "survivor", ["Form.RepositoryUrl"] = Path.Combine(_dataDirectory, "repos", "survivor.git"),
                ["Form.DefaultBranch"] = "main", ["Form.TimeoutSeconds"] = "3600", ["Form.MaxConcurrentTasks"] = "2",
            });
            created.StatusCode.ShouldBe(HttpStatusCode.Redirect, first.Output);
        }
        File.Exists(Path.Combine(_dataDirectory, "postgres", "data", "postmaster.pid")).ShouldBeFalse("PostgreSQL should stop with the Host");

        await using (var second = await HostProcess.StartAsync(_dataDirectory, port))
        {
            using var ada = new PageClient(new SocketsHttpHandler { AllowAutoRedirect = false }, new Uri($"http://127.0.0.1:{port}"));
            var signIn = await ada.PostFormAsync("/signin", new() { ["Email"] = "ada@example.com", ["Password"] = "a long password" });
            signIn.StatusCode.ShouldBe(HttpStatusCode.Redirect);
            (await ada.GetHtmlAsync("/projects")).ShouldContain("Survivor");
        }
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync()
    {
        try { Directory.Delete(_dataDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        return ValueTask.CompletedTask;
    }
}
