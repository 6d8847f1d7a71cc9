using System.Net;
using Catalyst.Tasks.Domain;
using Catalyst.Tests.Infrastructure;
using Marten;

namespace Catalyst.Tests.Tasks;

/// <summary>What a person does to run agents side by side, as form posts, and how a test reads the request and its runs.</summary>
public static class ParallelRunSteps
{
    /// <summary>
    /// A script every run gets; each run knows its number from its branch (catalyst/…-runN), so a test can make run 2 fail.
    /// </summary>
    public static string ScriptWhere(string run2, string others = "") => $$"""
        branch=$(git rev-parse --abbrev-ref HEAD)
        echo "working on $branch"
        case "$branch" in
          *-run2) {{run2}} ;;
          *) {{(others.Length == 0 ? ":" : others)}} ;;
        esac
        echo "change on $branch" >> README.md
        git commit -qam "Change on $branch"
        echo "done on $branch"
        """;

    /// <summary>The chosen agent N times, from the New task form: answers the request's id (the redirect goes to its runs).</summary>
    public static async Task<Guid> StartRunsAsync(this PageClient client, string slug, Guid credentialId, string script, int runs)
    {
        var response = await client.PostFormAsync($"/projects/{slug}/agents/new", new()
        {
            ["Type"] = "feature-dev", ["Provider"] = ScriptAgent.Name, ["CredentialId"] = credentialId.ToString(), ["Instructions"] = script,
            ["Runs"] = runs.ToString(),
        });
        response.StatusCode.ShouldBe(HttpStatusCode.Redirect, await response.Content.ReadAsStringAsync());
        var location = response.Headers.Location!.ToString();
        location.ShouldStartWith($"/projects/{slug}/agents/");
        location.ShouldEndWith("/runs");
        return Guid.Parse(location.Split('/')[^2]);
    }

    public static async Task<IReadOnlyList<AgentTask>> RunsOfAsync(this IDocumentStore store, Guid parentId)
    {
        await using var session = store.QuerySession();
        var parent = await session.LoadAsync<AgentTask>(parentId);
        parent.ShouldNotBeNull();
        return (await session.LoadManyAsync<AgentTask>(parent.RunIds)).OrderBy(r => r.RunNumber).ToList();
    }

    public static Task<HttpResponseMessage> ChooseAsync(this PageClient client, string slug, Guid parentId, Guid runId, string? formPage = null) =>
        client.PostFormAsync($"/projects/{slug}/agents/{parentId}/runs?handler=Choose", new() { ["RunId"] = runId.ToString() },
            formPage: formPage ?? $"/projects/{slug}/agents/{parentId}/runs");
}
