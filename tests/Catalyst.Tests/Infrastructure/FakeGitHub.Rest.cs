using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Catalyst.Tests.Infrastructure;

/// <summary>
/// GitHub's REST API under <c>/api/v3/</c> (where Octokit looks on any host but github.com), as far as the integration
/// uses it: one repository with issues, pull requests, comments, reviews and collaborators, a GitHub App that hands out
/// installation tokens for a JWT signed with its key, and a record of every call.
/// </summary>
public sealed partial class FakeGitHub
{
    public const long AppId = 31337;
    public const long InstallationId = 5_000_000_001;
    public const string PersonalToken = "github_pat_11TESTTOKEN0123456789abcdefghij";

    /// <summary>The GitHub App's private key (PKCS#1 PEM, as GitHub hands it out); the fake checks JWTs with its public half.</summary>
    public static readonly string AppPrivateKey = MakeKey();
    private static RSA? _appKey;

    private long _nextId = 3_000_000_000; // comment ids exceed 2³¹ on GitHub
    private readonly ConcurrentDictionary<string, DateTimeOffset> _installationTokens = new();

    public sealed record Call(string Method, string Path, string Body, string Authorization);

    public sealed class RepoState
    {
        public string Owner { get; set; } = "acme";
        public string Name { get; set; } = "shop";
        public string FullName => $"{Owner}/{Name}";
        public Dictionary<string, string> Permissions { get; } = new(StringComparer.OrdinalIgnoreCase);
        public Dictionary<int, JsonObject> Issues { get; } = [];
        public Dictionary<int, JsonObject> PullRequests { get; } = [];
        public Dictionary<int, List<JsonObject>> Comments { get; } = [];
        public Dictionary<int, List<JsonObject>> ReviewComments { get; } = [];
        public Dictionary<int, List<JsonObject>> Files { get; } = [];
        public List<JsonObject> Reviews { get; } = [];
        public List<JsonObject> Reactions { get; } = [];
        public List<JsonObject> OpenedPullRequests { get; } = [];
    }

    public const string WebhookSecret = "whsec-test-3c9d1f7a2b8e4d60";
    public const string PublicUrl = "https://catalyst.example";

    public RepoState Repo { get; private set; } = new();

    /// <summary>The Host's settings for the REST API and webhooks: Octokit adds /api/v3/ to this root, as for GitHub Enterprise Server.</summary>
    public Dictionary<string, string?> ApiSettings() => new()
    {
        ["GitHub:ApiUrl"] = Address.ToString(),
        ["GitHub:WebhookSecret"] = WebhookSecret,
        ["Catalyst:PublicUrl"] = PublicUrl,
    };

    /// <summary>Every installation token handed out, to look for in logs and pages.</summary>
    public IReadOnlyCollection<string> InstallationTokens => [.. _installationTokens.Keys];

    public List<Call> Calls { get; } = [];

    /// <summary>Rate limits to answer: the next call whose method and path match gets this status and these headers instead.</summary>
    private readonly List<(string Method, string Path, int Status, Dictionary<string, string> Headers)> _limits = [];

    /// <summary>Answers the next <paramref name="method"/> call to <paramref name="path"/> (under /api/v3) with a rate limit, once.</summary>
    public void RateLimitOnce(string method, string path, int status, Dictionary<string, string> headers)
    {
        lock (_limits) _limits.Add((method, "/api/v3" + path, status, headers));
    }

    public IReadOnlyList<Call> CallsSnapshot() { lock (Calls) return [.. Calls]; }

    /// <summary>A fresh repository and call record for a test.</summary>
    public void ResetRest()
    {
        lock (Calls) Calls.Clear();
        lock (_limits) _limits.Clear();
        Repo = new RepoState();
    }

    public long NextId() => Interlocked.Increment(ref _nextId);

    public JsonObject AddIssue(int number, string title, string body, params string[] labels)
    {
        var issue = new JsonObject
        {
            ["id"] = NextId(), ["number"] = number, ["title"] = title, ["body"] = body, ["state"] = "open",
            ["user"] = User("reporter", 1001), ["labels"] = Labels(labels), ["comments"] = 0,
            ["html_url"] = $"https://github.example/{Repo.FullName}/issues/{number}", ["created_at"] = "2026-11-20T10:00:00Z", ["updated_at"] = "2026-11-21T10:00:00Z",
        };
        Repo.Issues[number] = issue;
        return issue;
    }

    public JsonObject AddPullRequest(int number, string title, string body, string head, string @base = "main")
    {
        var pr = new JsonObject
        {
            ["id"] = NextId(), ["number"] = number, ["title"] = title, ["body"] = body, ["state"] = "open", ["draft"] = false,
            ["user"] = User("contributor", 1002), ["labels"] = Labels([]),
            ["head"] = new JsonObject { ["ref"] = head, ["sha"] = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678", ["label"] = $"{Repo.Owner}:{head}" },
            ["base"] = new JsonObject { ["ref"] = @base, ["sha"] = "0000000000000000000000000000000000000001", ["label"] = $"{Repo.Owner}:{@base}" },
            ["html_url"] = $"https://github.example/{Repo.FullName}/pull/{number}", ["created_at"] = "2026-11-22T10:00:00Z", ["updated_at"] = "2026-11-22T11:00:00Z",
        };
        Repo.PullRequests[number] = pr;
        // A pull request is an issue too (the issues list holds both).
        var issue = AddIssue(number, title, body);
        issue["pull_request"] = new JsonObject { ["url"] = $"{Address}api/v3/repos/{Repo.FullName}/pulls/{number}" };
        return pr;
    }

    public JsonObject AddComment(int number, string login, string body)
    {
        var comment = new JsonObject
        {
            ["id"] = NextId(), ["body"] = body, ["user"] = User(login, 2000 + login.Length), ["created_at"] = "2026-11-23T09:00:00Z", ["updated_at"] = "2026-11-23T09:00:00Z",
            ["html_url"] = $"https://github.example/{Repo.FullName}/issues/{number}#comment",
        };
        lock (Repo) (Repo.Comments.TryGetValue(number, out var list) ? list : Repo.Comments[number] = []).Add(comment);
        return comment;
    }

    public JsonObject AddReviewComment(int number, string login, string path, string diffHunk, string body, long? inReplyTo = null)
    {
        var comment = new JsonObject
        {
            ["id"] = NextId(), ["body"] = body, ["user"] = User(login, 3000 + login.Length), ["path"] = path, ["diff_hunk"] = diffHunk,
            ["in_reply_to_id"] = inReplyTo, ["created_at"] = "2026-11-23T09:30:00Z", ["updated_at"] = "2026-11-23T09:30:00Z",
        };
        (Repo.ReviewComments.TryGetValue(number, out var list) ? list : Repo.ReviewComments[number] = []).Add(comment);
        return comment;
    }

    public void AddFile(int number, string path, string patch, int additions, int deletions)
    {
        (Repo.Files.TryGetValue(number, out var list) ? list : Repo.Files[number] = []).Add(new JsonObject
        {
            ["sha"] = "f00d", ["filename"] = path, ["status"] = "modified", ["additions"] = additions, ["deletions"] = deletions,
            ["changes"] = additions + deletions, ["patch"] = patch,
        });
    }

    /// <summary>The comments on an issue or pull request as they are now (Catalyst's included).</summary>
    public IReadOnlyList<JsonObject> CommentsOn(int number)
    {
        lock (Repo) return Repo.Comments.TryGetValue(number, out var list) ? [.. list] : [];
    }

    private static JsonObject User(string login, long id) => new() { ["login"] = login, ["id"] = id, ["type"] = "User" };

    private static JsonArray Labels(IEnumerable<string> names) =>
        new([.. names.Select((n, i) => (JsonNode)new JsonObject { ["id"] = 700 + i, ["name"] = n, ["color"] = "d73a4a" })]);

    private static string MakeKey()
    {
        _appKey = RSA.Create(2048);
        return _appKey.ExportRSAPrivateKeyPem();
    }

    private void MapRest(WebApplication app)
    {
        var api = app.MapGroup("/api/v3");
        api.AddEndpointFilter(async (context, next) =>
        {
            var request = context.HttpContext.Request;
            request.EnableBuffering();
            var body = await new StreamReader(request.Body, Encoding.UTF8, leaveOpen: true).ReadToEndAsync();
            request.Body.Position = 0;
            lock (Calls) Calls.Add(new Call(request.Method, request.Path + request.QueryString, body, request.Headers.Authorization.ToString()));
            lock (_limits)
            {
                var limit = _limits.FindIndex(l => l.Method == request.Method && l.Path == request.Path);
                if (limit >= 0)
                {
                    var (_, _, status, headers) = _limits[limit];
                    _limits.RemoveAt(limit);
                    foreach (var (name, value) in headers) context.HttpContext.Response.Headers[name] = value;
                    return Results.Json(new { message = "API rate limit exceeded", documentation_url = "https://docs.github.com/rest/rate-limit" }, statusCode: status);
                }
            }
            return await next(context);
        });

        // The app itself, with a JWT.
        api.MapGet("/app", (HttpRequest r) => AppJwtValid(r) ? Results.Json(new { id = AppId, slug = "catalyst-test", name = "Catalyst Test", node_id = "A1" }) : BadCredentials());
        api.MapGet("/app/installations/{id:long}", (long id, HttpRequest r) =>
            !AppJwtValid(r) ? BadCredentials() : id != InstallationId ? NotFound() : Results.Json(new
            {
                id, app_id = AppId, account = new { login = Repo.Owner, id = 77 }, target_type = "Organization", repository_selection = "selected",
                permissions = new { contents = "write", pull_requests = "write", issues = "write", metadata = "read" },
            }));
        api.MapPost("/app/installations/{id:long}/access_tokens", (long id, HttpRequest r) =>
        {
            if (!AppJwtValid(r)) return BadCredentials();
            if (id != InstallationId) return NotFound();
            var token = "ghs_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(18));
            var expires = DateTimeOffset.UtcNow.AddHours(1);
            _installationTokens[token] = expires;
            return Results.Json(new { token, expires_at = expires.ToString("yyyy-MM-ddTHH:mm:ssZ") }, statusCode: 201);
        });

        var repo = api.MapGroup("/repos/{owner}/{name}");
        repo.AddEndpointFilter(async (context, next) =>
        {
            var request = context.HttpContext.Request;
            if (!TokenValid(request)) return BadCredentials();
            var owner = request.RouteValues["owner"]?.ToString();
            var name = request.RouteValues["name"]?.ToString();
            if (!string.Equals($"{owner}/{name}", Repo.FullName, StringComparison.OrdinalIgnoreCase)) return NotFound();
            return await next(context);
        });
        repo.MapGet("", () => Results.Json(new
        {
            id = 123456, name = Repo.Name, full_name = Repo.FullName, owner = new { login = Repo.Owner, id = 77 }, @private = true, default_branch = "main",
            html_url = $"https://github.example/{Repo.FullName}", permissions = new { admin = false, maintain = false, push = true, triage = true, pull = true },
        }));
        repo.MapGet("/collaborators/{login}/permission", (string login) =>
        {
            var permission = Repo.Permissions.GetValueOrDefault(login, "none");
            return Results.Json(new { permission, role_name = permission, user = new { login, id = 9000 } });
        });
        repo.MapGet("/issues", () => Results.Json(Repo.Issues.Values.Where(i => (string?)i["state"] == "open").OrderByDescending(i => (int)i["number"]!)));
        repo.MapGet("/issues/{number:int}", (int number) => Repo.Issues.TryGetValue(number, out var issue) ? Results.Json(issue) : NotFound());
        repo.MapGet("/issues/{number:int}/comments", (int number) => Results.Json(CommentsOn(number)));
        repo.MapPost("/issues/{number:int}/comments", async (int number, HttpRequest r) =>
        {
            var body = (await Json(r))["body"]?.GetValue<string>() ?? "";
            return Results.Json(AddComment(number, "catalyst-test[bot]", body), statusCode: 201);
        });
        repo.MapMethods("/issues/comments/{id:long}", ["PATCH"], async (long id, HttpRequest r) =>
        {
            var body = (await Json(r))["body"]?.GetValue<string>() ?? "";
            lock (Repo)
            {
                var comment = Repo.Comments.Values.SelectMany(c => c).FirstOrDefault(c => (long)c["id"]! == id);
                if (comment is null) return NotFound();
                comment["body"] = body;
                comment["updated_at"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ");
                return Results.Json(comment);
            }
        });
        repo.MapPost("/issues/comments/{id:long}/reactions", async (long id, HttpRequest r) => Reaction("issue_comment", id, await Json(r)));
        repo.MapPost("/pulls/comments/{id:long}/reactions", async (long id, HttpRequest r) => Reaction("review_comment", id, await Json(r)));
        repo.MapPost("/issues/{number:int}/reactions", async (int number, HttpRequest r) => Reaction("issue", number, await Json(r)));
        repo.MapGet("/pulls", () => Results.Json(Repo.PullRequests.Values.Where(p => (string?)p["state"] == "open").OrderByDescending(p => (int)p["number"]!)));
        repo.MapGet("/pulls/{number:int}", (int number) => Repo.PullRequests.TryGetValue(number, out var pr) ? Results.Json(pr) : NotFound());
        repo.MapGet("/pulls/{number:int}/files", (int number) => Results.Json(Repo.Files.GetValueOrDefault(number) ?? []));
        repo.MapGet("/pulls/{number:int}/comments", (int number) => Results.Json(Repo.ReviewComments.GetValueOrDefault(number) ?? []));
        repo.MapPost("/pulls/{number:int}/reviews", async (int number, HttpRequest r) =>
        {
            var json = await Json(r);
            var review = new JsonObject { ["id"] = NextId(), ["body"] = json["body"]?.DeepClone(), ["state"] = "COMMENTED", ["number"] = number, ["event"] = json["event"]?.DeepClone() };
            lock (Repo) Repo.Reviews.Add(review);
            return Results.Json(review);
        });
        repo.MapPost("/pulls", async (HttpRequest r) =>
        {
            var json = await Json(r);
            var number = 900 + Repo.OpenedPullRequests.Count;
            var pr = AddPullRequest(number, json["title"]!.GetValue<string>(), json["body"]?.GetValue<string>() ?? "", json["head"]!.GetValue<string>(), json["base"]!.GetValue<string>());
            pr["draft"] = json["draft"]?.GetValue<bool>() ?? false;
            lock (Repo) Repo.OpenedPullRequests.Add(pr);
            return Results.Json(pr, statusCode: 201);
        });
    }

    private IResult Reaction(string kind, long target, JsonObject json)
    {
        var reaction = new JsonObject { ["id"] = NextId(), ["content"] = json["content"]?.DeepClone(), ["kind"] = kind, ["target"] = target, ["user"] = User("catalyst-test[bot]", 1) };
        lock (Repo) Repo.Reactions.Add(reaction);
        return Results.Json(reaction, statusCode: 201);
    }

    /// <summary>Octokit labels its JSON bodies as a form; read them as JSON whatever the content type says.</summary>
    private static async Task<JsonObject> Json(HttpRequest request)
    {
        var text = await new StreamReader(request.Body).ReadToEndAsync();
        return JsonNode.Parse(text) as JsonObject ?? [];
    }

    private bool TokenValid(HttpRequest request)
    {
        var auth = request.Headers.Authorization.ToString();
        var token = auth.Split(' ', 2) is [var scheme, var value] && scheme.Equals("token", StringComparison.OrdinalIgnoreCase) ? value : null;
        return token == PersonalToken || (token is not null && _installationTokens.TryGetValue(token, out var expires) && expires > DateTimeOffset.UtcNow);
    }

    /// <summary>A JWT signed with the app's key, issued by the app, not expired and not valid for more than 10 minutes.</summary>
    private static bool AppJwtValid(HttpRequest request)
    {
        var auth = request.Headers.Authorization.ToString();
        if (!auth.StartsWith("Bearer ", StringComparison.Ordinal)) return false;
        var parts = auth["Bearer ".Length..].Split('.');
        if (parts.Length != 3) return false;
        var signed = Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}");
        if (!_appKey!.VerifyData(signed, FromBase64Url(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)) return false;
        using var payload = JsonDocument.Parse(FromBase64Url(parts[1]));
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var iat = payload.RootElement.GetProperty("iat").GetInt64();
        var exp = payload.RootElement.GetProperty("exp").GetInt64();
        return payload.RootElement.GetProperty("iss").GetString() == AppId.ToString() && iat <= now && exp > now && exp - iat <= 600;
    }

    private static byte[] FromBase64Url(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + (4 - s.Length % 4) % 4, '='));
    }

    private static IResult BadCredentials() => Results.Json(new { message = "Bad credentials", documentation_url = "https://docs.github.com/rest" }, statusCode: 401);

    private static IResult NotFound() => Results.Json(new { message = "Not Found", documentation_url = "https://docs.github.com/rest" }, statusCode: 404);

    /// <summary>A webhook delivery as GitHub sends it: the event, a delivery id, and the body's HMAC-SHA256 with the secret.</summary>
    public static HttpRequestMessage Delivery(string eventName, string body, string? secret, string? deliveryId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/github") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-GitHub-Event", eventName);
        request.Headers.Add("X-GitHub-Delivery", deliveryId ?? Guid.NewGuid().ToString());
        request.Headers.Add("User-Agent", "GitHub-Hookshot/abc123");
        if (secret is not null)
            request.Headers.Add("X-Hub-Signature-256", "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body))));
        return request;
    }
}
