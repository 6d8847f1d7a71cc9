using Catalyst.Web;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text.Json;
using Catalyst.Contracts;
using Marten;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OAuth;
using Wolverine;

namespace Catalyst.Host.Accounts;

public static class AccountsModule
{
    public const string GitHubScheme = "GitHub";
    /// <summary>GitHub's OAuth flow started from the account page: it links the login to the signed-in account and signs nobody in.</summary>
    public const string GitHubLinkScheme = "GitHubLink";
    /// <summary>The account that started a link, carried in the OAuth state (protected, so it cannot be swapped).</summary>
    public const string LinkingUser = "catalyst.linking-user";
    private const string Smart = "CookieOrToken";

    public static bool GitHubSignInEnabled(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration["GitHub:ClientId"]) && !string.IsNullOrWhiteSpace(configuration["GitHub:ClientSecret"]);

    public static IServiceCollection AddAccounts(this IServiceCollection services, IConfiguration configuration)
    {
        services.ConfigureMarten(opts =>
        {
            opts.Schema.For<CatalystUser>().DatabaseSchemaName("accounts")
                .UniqueIndex(u => u.Email).Index(u => u.GitHubId);
            opts.Schema.For<ApiToken>().DatabaseSchemaName("accounts")
                .UniqueIndex(t => t.Hash).Index(t => t.UserId);
            opts.Schema.For<AccountSession>().DatabaseSchemaName("accounts").Index(s => s.UserId);
            opts.Schema.For<Catalyst.Host.Notifications.NotificationSettings>().DatabaseSchemaName("accounts");
            opts.Schema.For<Invitation>().DatabaseSchemaName("accounts").UniqueIndex(i => i.Hash);
        });
        // Every signed-in request checks its session and account (cached, and emptied when either changes anywhere).
        services.WatchForChanges<AccountSession>().WatchForChanges<CatalystUser>();
        services.AddSingleton<SessionChecks>();
        // Cookie keys shared by every Host of the database (sealed with the master key).
        SharedDataProtectionKeys.AddTo(services);
        services.AddSingleton<SignUpPolicy>();
        services.AddSingleton<Catalyst.Host.Notifications.SmtpSettings>();
        services.AddSingleton<Catalyst.Host.Notifications.WebhookAddresses>();
        // Webhooks: public addresses only (checked on every connection), except the hosts an admin allows; redirects are not followed.
        services.AddHttpClient(Catalyst.Host.Notifications.SendAgentTaskNotificationHandler.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(10))
            .ConfigurePrimaryHttpMessageHandler(Catalyst.Host.Notifications.WebhookAddresses.GuardedHandler);
        services.AddHttpClient(Catalyst.Host.Notifications.SendAgentTaskNotificationHandler.AllowedHostClientName, c => c.Timeout = TimeSpan.FromSeconds(10))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false });

        var auth = services.AddAuthentication(o =>
            {
                o.DefaultScheme = Smart;
                o.DefaultChallengeScheme = Smart;
            })
            // An API token is for machines: it signs in to /mcp and /api only. A page sent one is a page without a
            // session, so a stolen token cannot create tokens, add credentials or do anything else a person does.
            .AddPolicyScheme(Smart, "Cookie or API token", o => o.ForwardDefaultSelector = context =>
                AcceptsApiTokens(context.Request) && context.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                    ? ApiTokenAuthenticationHandler.SchemeName
                    : CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(o =>
            {
                o.LoginPath = "/signin";
                o.LogoutPath = "/signout";
                o.Cookie.Name = "catalyst.session";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Lax;
                o.SlidingExpiration = true;
                o.ExpireTimeSpan = TimeSpan.FromDays(14);
                o.Events.OnValidatePrincipal = AccountSessions.ValidateAsync;
                // Machine endpoints answer 401, never a redirect to a sign-in page.
                o.Events.OnRedirectToLogin = context =>
                {
                    if (IsMachineEndpoint(context.Request))
                    {
                        // A machine that sent no token is told which kind to send.
                        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                        context.Response.Headers.WWWAuthenticate = "Bearer realm=\"catalyst\"";
                    }
                    else context.Response.Redirect(context.RedirectUri);
                    return Task.CompletedTask;
                };
            })
            .AddScheme<AuthenticationSchemeOptions, ApiTokenAuthenticationHandler>(ApiTokenAuthenticationHandler.SchemeName, null);

        if (GitHubSignInEnabled(configuration))
        {
            auth.AddOAuth(GitHubScheme, o => ConfigureGitHub(o, configuration));
            auth.AddOAuth(GitHubLinkScheme, o => ConfigureGitHubLink(o, configuration));
        }

        services.AddAuthorization();
        return services;
    }

    /// <summary>GitHub's OAuth endpoints and this app's client, shared by signing in and linking.</summary>
    private static void ConfigureGitHubClient(OAuthOptions o, IConfiguration configuration)
    {
        // Endpoints are configurable so that GitHub Enterprise (or a test's stand-in) can play GitHub.
        o.ClientId = configuration["GitHub:ClientId"]!;
        o.ClientSecret = configuration["GitHub:ClientSecret"]!;
        o.AuthorizationEndpoint = configuration["GitHub:AuthorizationEndpoint"] ?? "https://github.com/login/oauth/authorize";
        o.TokenEndpoint = configuration["GitHub:TokenEndpoint"] ?? "https://github.com/login/oauth/access_token";
        o.UserInformationEndpoint = configuration["GitHub:UserInformationEndpoint"] ?? "https://api.github.com/user";
        // Self-hosted Catalyst often runs on plain http: keep the correlation cookie usable there.
        o.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        o.CorrelationCookie.SameSite = SameSiteMode.Lax;
        o.SignInScheme = CookieAuthenticationDefaults.AuthenticationScheme;
        o.Scope.Add("read:user");
    }

    /// <summary>The GitHub user behind the access token: its JSON from the user endpoint.</summary>
    private static async Task<JsonDocument> GitHubUserAsync(OAuthCreatingTicketContext context)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, context.Options.UserInformationEndpoint);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", context.AccessToken);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.github+json"));
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("Catalyst", "1.0"));
        using var response = await context.Backchannel.SendAsync(request, context.HttpContext.RequestAborted);
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(context.HttpContext.RequestAborted));
    }

    private static void ConfigureGitHub(OAuthOptions o, IConfiguration configuration)
    {
        ConfigureGitHubClient(o, configuration);
        o.CallbackPath = "/signin/github/callback";
        o.Scope.Add("user:email");
        o.Events.OnCreatingTicket = async context =>
        {
            using var user = await GitHubUserAsync(context);
            var root = user.RootElement;
            string? Text(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

            var bus = context.HttpContext.RequestServices.GetRequiredService<IMessageBus>();
            var account = await bus.InvokeAsync<AccountSummary?>(
                new SignInWithGitHub(root.GetProperty("id").GetInt64(), Text("login") ?? "github-user", Text("email"), Text("name")),
                context.HttpContext.RequestAborted);
            if (account is null)
            {
                // A new person while sign-up is not open: GitHub is no way around the policy.
                context.Fail(SignUpHandler.Closed);
                return;
            }
            var identity = Identity(account, CookieAuthenticationDefaults.AuthenticationScheme);
            identity.AddClaim(await AccountSessions.StartAsync(context.HttpContext, account.Id));
            context.Principal = new ClaimsPrincipal(identity);
            await bus.InvokeAsync(new AcceptProjectInvitations(account.Id, account.Email), context.HttpContext.RequestAborted);
        };
    }

    /// <summary>
    /// Linking from the account page: the state (protected, with the correlation cookie of the browser that started it)
    /// names the account that asked; the callback links the GitHub user to it only when that account is still the one
    /// signed in here, and lands back on the account page with what happened. Nobody is signed in or out by it. The
    /// callback is below the sign-in one, so the OAuth app's registered callback URL covers both.
    /// </summary>
    private static void ConfigureGitHubLink(OAuthOptions o, IConfiguration configuration)
    {
        ConfigureGitHubClient(o, configuration);
        o.CallbackPath = "/signin/github/callback/link";
        o.Events.OnCreatingTicket = async context =>
        {
            var signedIn = await context.HttpContext.AuthenticateAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            var current = signedIn.Principal?.FindFirstValue(ClaimTypes.NameIdentifier);
            if (current is null || !context.Properties.Items.TryGetValue(LinkingUser, out var started) || started != current)
            {
                context.Fail("The link was started by another account than the one signed in.");
                return;
            }
            using var user = await GitHubUserAsync(context);
            var root = user.RootElement;
            var login = root.TryGetProperty("login", out var l) && l.ValueKind == JsonValueKind.String ? l.GetString()! : "github-user";
            var result = await context.HttpContext.RequestServices.GetRequiredService<IMessageBus>()
                .InvokeAsync<Result<string>>(new LinkGitHubAccount(Guid.Parse(current), root.GetProperty("id").GetInt64(), login), context.HttpContext.RequestAborted);
            context.Properties.RedirectUri = $"/settings/account?github={(result.Succeeded ? "linked" : "taken")}";
            context.Principal = signedIn.Principal;
        };
        o.Events.OnTicketReceived = context =>
        {
            context.Response.Redirect(context.ReturnUri ?? "/settings/account");
            context.HandleResponse();
            return Task.CompletedTask;
        };
        // A forged, missing or replayed state, a callback in another browser, or a refusal at GitHub: nothing is linked.
        o.Events.OnRemoteFailure = context =>
        {
            context.Response.Redirect("/settings/account?github=failed");
            context.HandleResponse();
            return Task.CompletedTask;
        };
        o.Events.OnAccessDenied = context =>
        {
            context.Response.Redirect("/settings/account?github=failed");
            context.HandleResponse();
            return Task.CompletedTask;
        };
    }

    public static bool IsMachineEndpoint(HttpRequest request) =>
        request.Path.StartsWithSegments("/api") || request.Path.StartsWithSegments("/mcp");

    /// <summary>The machine endpoints, and a task's live event stream read with GET (scripts follow tasks with it).</summary>
    public static bool AcceptsApiTokens(HttpRequest request) =>
        IsMachineEndpoint(request) || HttpMethods.IsGet(request.Method) && request.Path.Value?.EndsWith("/events", StringComparison.Ordinal) == true;

    public static ClaimsIdentity Identity(AccountSummary account, string scheme)
    {
        List<Claim> claims =
        [
            new(ClaimTypes.NameIdentifier, account.Id.ToString()),
            new(ClaimTypes.Email, account.Email),
            new(ClaimTypes.Name, account.DisplayName),
        ];
        if (account.IsAdmin) claims.Add(new(CatalystClaims.IsAdmin, "true"));
        return new ClaimsIdentity(claims, scheme);
    }

    public static async Task SignInAsync(HttpContext context, AccountSummary account)
    {
        var identity = Identity(account, CookieAuthenticationDefaults.AuthenticationScheme);
        identity.AddClaim(await AccountSessions.StartAsync(context, account.Id));
        await context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity), new AuthenticationProperties { IsPersistent = true });
        // Projects that invited this address take the person in now.
        await context.RequestServices.GetRequiredService<IMessageBus>()
            .InvokeAsync(new AcceptProjectInvitations(account.Id, account.Email), context.RequestAborted);
    }

    public static void MapAccounts(this WebApplication app)
    {
        app.MapGet("/signin/github", (HttpContext context, string? returnUrl) =>
        {
            if (!GitHubSignInEnabled(app.Configuration)) return Results.NotFound();
            var target = !string.IsNullOrEmpty(returnUrl) && Uri.IsWellFormedUriString(returnUrl, UriKind.Relative) && returnUrl.StartsWith('/') && !returnUrl.StartsWith("//")
                ? returnUrl : "/projects";
            return Results.Challenge(new AuthenticationProperties { RedirectUri = target }, [GitHubScheme]);
        }).AllowAnonymous();
    }
}
