using System.Net;
using System.Text.Json.Nodes;
using Catalyst.Host.Accounts;
using Catalyst.Integrations.GitHub;
using Catalyst.Integrations.Projects;
using Catalyst.Tasks.Domain;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Tasks;
using Catalyst.Tests.Workspaces;
using Marten;

namespace Catalyst.Tests.GitHub;

/// <summary>
/// A project connected to the loopback GitHub's repository acme/shop, whose origin is a real git repository here, and
/// webhook deliveries built from @octokit/webhooks-examples payloads and signed as GitHub signs them.
/// </summary>
public abstract class GitHubContext(AppFixture fixture) : IntegrationContext(fixture), IDisposable
{
    protected const string Slug = "shop";
    protected const long AdaGitHubId = 583231;
    protected const string AdaLogin = "ada-l";
    protected readonly WorkspaceSandbox Sandbox = WorkspaceSandbox.Create();
    protected FakeGitHub GitHub => Fixture.GitHub;

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        GitHub.ResetRest();
    }

    public void Dispose() => Sandbox.Dispose();

    /// <summary>Ada: signed up, linked to her GitHub login, owner of the project, with a script-agent credential; the project's connection saved through its page.</summary>
    protected async Task<PageClient> ConnectedProject(GitHubAuthKind kind = GitHubAuthKind.Token, bool withCredential = true)
    {
        var ada = await SignedUp("ada@example.com");
        await ada.CreateProjectAsync(Slug, Sandbox.Origin);
        await using (var session = Store.LightweightSession())
        {
            var project = await session.Query<Project>().SingleAsync(p => p.Slug == Slug);
            session.Store(project with { GitHubRepository = GitHub.Repo.FullName });
            var user = await session.Query<CatalystUser>().SingleAsync(u => u.Email == "ada@example.com");
            session.Store(user with { GitHubId = AdaGitHubId, GitHubLogin = AdaLogin });
            await session.SaveChangesAsync();
        }
        if (withCredential) await ada.AddScriptCredentialAsync(Store);
        GitHub.AddIssue(1, "Checkout fails with an empty cart", "Steps: empty the cart, press Checkout.");
        GitHub.Repo.Permissions[AdaLogin] = "write";

        var response = await ada.PostFormAsync($"/projects/{Slug}/github", kind == GitHubAuthKind.App
            ? new()
            {
                ["Kind"] = "App", ["AppId"] = FakeGitHub.AppId.ToString(), ["InstallationId"] = FakeGitHub.InstallationId.ToString(),
                ["PrivateKey"] = FakeGitHub.AppPrivateKey, ["DefaultAgent"] = ScriptAgent.Name,
            }
            : new() { ["Kind"] = "Token", ["Token"] = FakeGitHub.PersonalToken, ["DefaultAgent"] = ScriptAgent.Name });
        response.StatusCode.ShouldBe(HttpStatusCode.Redirect, await response.Content.ReadAsStringAsync());
        return ada;
    }

    /// <summary>A real example payload of the event, pointed at acme/shop, sent by <paramref name="login"/> with <paramref name="body"/>.</summary>
    protected JsonObject Payload(string file, string login = AdaLogin, long senderId = AdaGitHubId, string? body = null, int number = 1, string senderType = "User") =>
        GitHubPayloads.Example(GitHub, file, login, senderId, body, number, senderType);

    protected async Task<HttpResponseMessage> Deliver(string eventName, JsonObject payload, string? secret = FakeGitHub.WebhookSecret, string? deliveryId = null)
    {
        var client = NewClient();
        return await client.SendAsync(FakeGitHub.Delivery(eventName, payload.ToJsonString(), secret, deliveryId));
    }

    protected async Task<IReadOnlyList<AgentTask>> Tasks()
    {
        await using var session = Store.QuerySession();
        return await session.Query<AgentTask>().ToListAsync();
    }

    protected static async Task Eventually(Func<bool> condition, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Not within {seconds} s: {what}");
            await Task.Delay(100);
        }
    }

    /// <summary>Catalyst's one reply on issue 1, once it is there: no task, no other comment of Catalyst's, no 👀.</summary>
    protected async Task<string> OnlyReply(string what)
    {
        await Eventually(() => CatalystComments().Count >= 1, what);
        await Task.Delay(500);
        (await Tasks()).ShouldBeEmpty();
        CatalystComments().Count.ShouldBe(1);
        GitHub.Repo.Reactions.ShouldBeEmpty();
        return CatalystComments().Single();
    }

    /// <summary>Catalyst's comments on the issue (its own carry the marker).</summary>
    protected IReadOnlyList<string> CatalystComments(int number = 1) =>
        GitHub.CommentsOn(number).Select(c => (string)c["body"]!).Where(b => b.Contains(StartTaskFromGitHubHandler.Marker)).ToList();
}

/// <summary>Webhook payloads from @octokit/webhooks-examples, made to agree with the loopback GitHub's repository.</summary>
public static class GitHubPayloads
{
    public static JsonObject Example(FakeGitHub github, string file, string login, long senderId, string? body = null, int number = 1, string senderType = "User")
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "GitHub", "Payloads", file)))!.AsObject();
        json["repository"]!["full_name"] = github.Repo.FullName;
        json["repository"]!["name"] = github.Repo.Name;
        json["sender"] = new JsonObject { ["login"] = login, ["id"] = senderId, ["type"] = senderType };
        if (json["comment"] is JsonObject comment && body is not null) comment["body"] = body;
        if (json["comment"] is JsonObject c) c["id"] = github.NextId();
        if (json["issue"] is JsonObject issue)
        {
            issue["number"] = number;
            // The issue as the loopback GitHub knows it, so that the payload and the API agree.
            if (github.Repo.Issues.TryGetValue(number, out var known)) (issue["title"], issue["body"]) = (known["title"]!.DeepClone(), known["body"]!.DeepClone());
        }
        if (json["pull_request"] is JsonObject pr) pr["number"] = number;
        return json;
    }
}
