using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Catalyst.Contracts;
using Microsoft.Extensions.Logging;
using Octokit;
using Octokit.Internal;
using Wolverine;

namespace Catalyst.Integrations.GitHub;

/// <summary>The repository a project is connected to and an Octokit client that acts on it.</summary>
public sealed record GitHubRepositoryClient(IGitHubClient Client, string Owner, string Name, GitHubConnection Connection, ProjectRef Project)
{
    public string FullName => $"{Owner}/{Name}";
}

/// <summary>
/// Octokit clients for projects' connections. A GitHub App authenticates with a JWT (RS256, 9 minutes) to get an
/// installation token, kept until 5 minutes before it expires; a token connection uses its token as it is.
/// </summary>
public sealed class GitHubClients(GitHubOptions options, TimeProvider clock, ILogger<GitHubClients> logger)
{
    private static readonly ProductHeaderValue Product = new("catalyst");
    private readonly ConcurrentDictionary<(Guid Project, long Installation), AccessToken> _installationTokens = new();

    public static readonly TimeSpan RefreshBefore = TimeSpan.FromMinutes(5);

    public Uri ApiUrl => options.ApiUrl;

    public IGitHubClient Anonymous() => NewClient(Credentials.Anonymous);

    public IGitHubClient WithToken(string token) => NewClient(new Credentials(token));

    public IGitHubClient AsApp(long appId, string privateKeyPem) =>
        NewClient(new Credentials(AppJwt(appId, privateKeyPem, clock.GetUtcNow()), AuthenticationType.Bearer));

    /// <summary>Octokit over a handler that waits out GitHub's rate limits (within <see cref="GitHubOptions.RateLimitMaxWait"/>) and tries again.</summary>
    private GitHubClient NewClient(Credentials credentials)
    {
        var http = new HttpClientAdapter(() => new GitHubRateLimitHandler(clock, options.RateLimitMaxWait, logger) { InnerHandler = HttpMessageHandlerFactory.CreateDefault() });
        return new GitHubClient(new Connection(Product, RestBase(options.ApiUrl), new InMemoryCredentialStore(credentials), http, new SimpleJsonSerializer()));
    }

    /// <summary>Where the REST API is: GitHub Enterprise Server serves it under /api/v3/ (what Octokit's own constructor does for any other host).</summary>
    public static Uri RestBase(Uri apiUrl) =>
        apiUrl.Host is "github.com" or "api.github.com" ? new Uri("https://api.github.com/") : new Uri(apiUrl, "/api/v3/");

    /// <summary>The client for a project's repository; null when the project has no repository or connection, or its secret is gone.</summary>
    public async Task<GitHubRepositoryClient?> ForProjectAsync(ProjectRef project, GitHubConnection? connection, IMessageBus bus, CancellationToken ct)
    {
        if (connection is null || SplitRepository(project.GitHubRepository) is not var (owner, name)) return null;
        var secret = await bus.InvokeAsync<ProjectSecretValue?>(new RevealProjectSecret(project.Id, connection.SecretName), ct);
        if (secret is null) return null;
        var client = connection.Kind == GitHubAuthKind.Token
            ? WithToken(secret.Value)
            : WithToken(await InstallationTokenAsync(project.Id, connection, secret.Value));
        return new GitHubRepositoryClient(client, owner, name, connection, project);
    }

    private async Task<string> InstallationTokenAsync(Guid projectId, GitHubConnection connection, string privateKey)
    {
        var key = (projectId, connection.InstallationId ?? 0);
        if (_installationTokens.TryGetValue(key, out var cached) && cached.ExpiresAt - clock.GetUtcNow() > RefreshBefore) return cached.Token;
        var token = await AsApp(connection.AppId ?? 0, privateKey).GitHubApps.CreateInstallationToken(connection.InstallationId ?? 0);
        _installationTokens[key] = token;
        return token.Token;
    }

    /// <summary>Forgets a project's installation token (its connection changed).</summary>
    public void Forget(Guid projectId)
    {
        foreach (var key in _installationTokens.Keys.Where(k => k.Project == projectId)) _installationTokens.TryRemove(key, out _);
    }

    public static (string Owner, string Name)? SplitRepository(string? fullName) =>
        fullName?.Trim().Split('/') is [{ Length: > 0 } owner, { Length: > 0 } name] ? (owner, name) : null;

    /// <summary>A GitHub App's JWT: issued 60 s in the past against clock drift, expiring within GitHub's 10 minutes.</summary>
    public static string AppJwt(long appId, string privateKeyPem, DateTimeOffset now)
    {
        using var rsa = RSA.Create();
        rsa.ImportFromPem(privateKeyPem);
        var header = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new { alg = "RS256", typ = "JWT" }));
        var payload = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new
        {
            iat = now.AddSeconds(-60).ToUnixTimeSeconds(),
            exp = now.AddMinutes(9).ToUnixTimeSeconds(),
            iss = appId.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }));
        var signature = rsa.SignData(Encoding.ASCII.GetBytes($"{header}.{payload}"), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return $"{header}.{payload}.{Base64Url(signature)}";
    }

    /// <summary>Whether the text is an RSA private key in PEM (what GitHub hands out for an app), without keeping it.</summary>
    public static bool IsRsaPrivateKey(string pem)
    {
        try
        {
            using var rsa = RSA.Create();
            rsa.ImportFromPem(pem);
            return true;
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            return false;
        }
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
