using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Catalyst.Tests.Infrastructure;

/// <summary>GitHub's OAuth web flow and REST API, as far as Catalyst uses them, on 127.0.0.1.</summary>
public sealed partial class FakeGitHub : IAsyncDisposable
{
    public const string ClientId = "test-client-id";
    public const string ClientSecret = "test-client-secret-7f3a";

    private readonly ConcurrentDictionary<string, GitHubAccount> _codes = new();
    private readonly ConcurrentDictionary<string, GitHubAccount> _tokens = new();
    private LoopbackServer _server = null!;

    public sealed record GitHubAccount(long Id, string Login, string? Email, string Name);

    /// <summary>Who "signs in" at the authorize page next.</summary>
    public GitHubAccount NextUser { get; set; } = new(4242, "octocat", "octocat@example.com", "The Octocat");

    public List<string> TokenRequests { get; } = [];

    public Uri Address => _server.Address;

    public static async Task<FakeGitHub> StartAsync()
    {
        var fake = new FakeGitHub();
        fake._server = await LoopbackServer.StartAsync(fake.Map);
        return fake;
    }

    public Dictionary<string, string?> OAuthSettings() => new()
    {
        ["GitHub:ClientId"] = ClientId,
        ["GitHub:ClientSecret"] = ClientSecret,
        ["GitHub:AuthorizationEndpoint"] = _server.Url("login/oauth/authorize"),
        ["GitHub:TokenEndpoint"] = _server.Url("login/oauth/access_token"),
        ["GitHub:UserInformationEndpoint"] = _server.Url("user"),
    };

    private void Map(WebApplication app)
    {
        // The person approves at once: back to the app with a one-time code and the app's state.
        app.MapGet("/login/oauth/authorize", (string client_id, string redirect_uri, string state) =>
        {
            if (client_id != ClientId) return Results.BadRequest("unknown client");
            var code = Guid.NewGuid().ToString("N");
            _codes[code] = NextUser;
            return Results.Redirect($"{redirect_uri}?code={code}&state={Uri.EscapeDataString(state)}");
        });

        app.MapPost("/login/oauth/access_token", async (HttpRequest request) =>
        {
            var form = await request.ReadFormAsync();
            lock (TokenRequests) TokenRequests.Add(form["code"].ToString());
            if (form["client_secret"] != ClientSecret) return Results.Json(new { error = "incorrect_client_credentials" });
            if (!_codes.TryRemove(form["code"].ToString(), out var account)) return Results.Json(new { error = "bad_verification_code" });
            var token = "gho_" + Guid.NewGuid().ToString("N");
            _tokens[token] = account;
            return Results.Json(new { access_token = token, token_type = "bearer", scope = "read:user,user:email" });
        });

        app.MapGet("/user", (HttpRequest request) =>
        {
            var auth = request.Headers.Authorization.ToString();
            var token = auth.Split(' ', 2).LastOrDefault() ?? "";
            if (!_tokens.TryGetValue(token, out var account)) return Results.Json(new { message = "Bad credentials" }, statusCode: 401);
            return Results.Json(new { id = account.Id, login = account.Login, email = account.Email, name = account.Name });
        });

        MapRest(app);
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
