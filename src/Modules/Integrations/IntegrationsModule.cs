using Catalyst.Web;
using Catalyst.Contracts;
using Catalyst.Integrations.GitHub;
using Catalyst.Integrations.Projects;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Wolverine;

namespace Catalyst.Integrations;

public static class IntegrationsModule
{
    public const string Schema = "integrations";
    private const string GitHubProgressQueue = "github-progress";

    public static IServiceCollection AddIntegrationsModule(this IServiceCollection services)
    {
        services.ConfigureMarten(opts =>
        {
            opts.Schema.For<Project>().DatabaseSchemaName(Schema).UniqueIndex(p => p.Slug).GinIndexJsonData();
            opts.Schema.For<GitHubConnection>().DatabaseSchemaName(Schema);
            opts.Schema.For<GitHubDelivery>().DatabaseSchemaName(Schema);
            opts.Schema.For<GitHubDeliveryHandled>().DatabaseSchemaName(Schema);
            opts.Schema.For<GitHubDeliveryStarted>().DatabaseSchemaName(Schema);
            opts.Schema.For<GitHubTaskThread>().DatabaseSchemaName(Schema);
        });
        // Whether a person is a member of a project is cached by the task lists: a change to any project empties that cache.
        services.WatchForChanges<Project>();
        services.AddSingleton<LocalRepositoryRoots>();
        services.AddSingleton<GitHubOptions>();
        services.AddSingleton<GitHubClients>();
        services.AddSingleton<GitHubBrowser>();
        services.AddMemoryCache();
        services.ConfigureWolverine(opts =>
        {
            opts.Discovery.IncludeAssembly(typeof(IntegrationsModule).Assembly);
            // A task's progress comment is edited in the order the task moved: one message at a time.
            opts.PublishMessage<AgentTaskMoved>().ToLocalQueue(GitHubProgressQueue);
            opts.PublishMessage<AgentTaskEnded>().ToLocalQueue(GitHubProgressQueue);
            opts.LocalQueue(GitHubProgressQueue).Sequential();
        });
        return services;
    }

    /// <summary>JSON for scripts: a personal API token (Bearer) or a session cookie.</summary>
    public static void MapIntegrationsEndpoints(this IEndpointRouteBuilder app)
    {
        // GitHub signs its deliveries; the signature is the only authentication (no session, no antiforgery).
        app.MapPost("/webhooks/github", GitHubWebhookEndpoint.Post).AllowAnonymous().DisableAntiforgery();

        var api = app.MapGroup("/api/projects").RequireAuthorization();
        api.MapGet("", async (System.Security.Claims.ClaimsPrincipal user, IMessageBus bus, CancellationToken ct) =>
            Results.Ok(await bus.InvokeAsync<IReadOnlyList<ProjectView>>(new ListProjects(user.UserId()), ct)));
        api.MapGet("/{slug}", async (string slug, System.Security.Claims.ClaimsPrincipal user, IMessageBus bus, CancellationToken ct) =>
            await bus.InvokeAsync<ProjectView?>(new GetProject(user.UserId(), slug), ct) is { } project
                ? Results.Ok(project)
                : Results.Problem(statusCode: 404, title: "Project not found", detail: $"No project “{slug}” that you are a member of."));
    }
}
