using System.Net;
using Catalyst.Tasks.Domain;
using Catalyst.Tasks.Logs;
using Catalyst.Tests.Credentials;
using Catalyst.Tests.Infrastructure;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace Catalyst.Tests.Tasks;

/// <summary>What a person does to run an agent, as form posts, and how a test waits for the result.</summary>
public static class TaskSteps
{
    public const string Key = "sk-script-5f2a9c0d7e1b4a66";

    public static async Task CreateProjectAsync(this PageClient client, string slug, string repository, int timeoutSeconds = 120, int maxConcurrent = 2,
        string? allowedHosts = null)
    {
        var form = new Dictionary<string, string>
        {
            ["Form.Name"] = $"Project {slug}", ["Form.Slug"] = slug, ["Form.RepositoryUrl"] = repository, ["Form.DefaultBranch"] = "main",
            ["Form.TimeoutSeconds"] = timeoutSeconds.ToString(), ["Form.MaxConcurrentTasks"] = maxConcurrent.ToString(),
        };
        if (allowedHosts is not null) form["Form.AllowedHosts"] = allowedHosts;
        var response = await client.PostFormAsync("/projects/new", form);
        response.StatusCode.ShouldBe(HttpStatusCode.Redirect, await response.Content.ReadAsStringAsync());
    }

    public static Task<Guid> AddScriptCredentialAsync(this PageClient client, IDocumentStore store, string key = Key, string label = "script") =>
        client.AddCredentialAsync(store, ScriptAgent.Name, key, label);

    /// <summary>Starts a task through the form; the script is what the agent does in the clone.</summary>
    public static async Task<Guid> StartTaskAsync(this PageClient client, string slug, Guid credentialId, string script, string type = "feature-dev")
    {
        var response = await client.PostFormAsync($"/projects/{slug}/agents/new", new()
        {
            ["Type"] = type, ["Provider"] = ScriptAgent.Name, ["CredentialId"] = credentialId.ToString(), ["Instructions"] = script,
        });
        response.StatusCode.ShouldBe(HttpStatusCode.Redirect, await response.Content.ReadAsStringAsync());
        var location = response.Headers.Location!.ToString();
        location.ShouldStartWith($"/projects/{slug}/agents/");
        return Guid.Parse(location.Split('/').Last());
    }

    public static async Task<AgentTask> WaitForAsync(this IDocumentStore store, Guid taskId, Func<AgentTask, bool> condition, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        AgentTask? task = null;
        while (DateTime.UtcNow < deadline)
        {
            await using var session = store.QuerySession();
            task = await session.LoadAsync<AgentTask>(taskId);
            if (task is not null && condition(task)) return task;
            await Task.Delay(100);
        }
        throw new TimeoutException($"Task {taskId} did not get there in {seconds} s; it is {task?.Status.Name() ?? "missing"} ({task?.Error}).");
    }

    public static Task<AgentTask> WaitUntilFinishedAsync(this IDocumentStore store, Guid taskId, int seconds = 60) =>
        store.WaitForAsync(taskId, t => t.Status.IsFinished(), seconds);

    public static Task<IReadOnlyList<AgentTaskLog>> LogsAsync(this IServiceProvider services, Guid taskId) =>
        services.GetRequiredService<TaskLogReader>().ReadAsync(taskId, new TaskLogReader.Filter(Limit: 10_000), CancellationToken.None);
}
