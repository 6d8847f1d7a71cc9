using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Catalyst.Host.Accounts;
using ModelContextProtocol;
using ModelContextProtocol.AspNetCore;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Catalyst.Host.Mcp;

/// <summary>The MCP server at /mcp: Streamable HTTP, stateless (any node behind a load balancer answers), personal API tokens only.</summary>
public static class CatalystMcp
{
    /// <summary>Bearer tokens only: a browser's session cookie does not open the MCP endpoint.</summary>
    public const string TokenPolicy = "McpApiToken";

    /// <summary>snake_case on the wire, like the tools' arguments; enums as their names.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = new SnakeCase(),
        // Text content is read by models and people: an apostrophe or an accented letter stays itself, not \u0027.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DictionaryKeyPolicy = null,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        TypeInfoResolver = JsonTypeInfoResolver.Combine(McpJsonUtilities.DefaultOptions.TypeInfoResolver, new DefaultJsonTypeInfoResolver()),
    };

    /// <summary>What a client's model is told when it connects: the workflow, in a few lines.</summary>
    public const string Instructions =
        "Catalyst runs coding agents (Claude Code, Codex CLI, Aider, Cline, …) on git repositories for the token's owner.\n" +
        "1. list_projects (or create_project) gives a project slug; list_agent_providers gives a provider and one of your credentials.\n" +
        "2. create_agent_task starts an agent; it queues as pending, then runs in its own workspace on branch catalyst/<id>.\n" +
        "3. Follow it with wait_for_agent_task (blocks up to 60 s until the status changes or new log lines arrive), passing the " +
        "last_sequence it returned each time, until task_finished is true; get_agent_task shows commits, branch, cost and errors.\n" +
        "4. cancel_agent_task stops a task; retry_agent_task runs an ended one again. plan_first tasks wait in awaiting-approval " +
        "for approve_agent_plan or reject_agent_plan, and end cancelled when the plan expires.";

    /// <summary>snake_case that keeps GitHub one word (github_repository, not git_hub_repository).</summary>
    private sealed class SnakeCase : JsonNamingPolicy
    {
        public override string ConvertName(string name) => SnakeCaseLower.ConvertName(name.Replace("GitHub", "Github", StringComparison.Ordinal));
    }

    public static IServiceCollection AddCatalystMcp(this IServiceCollection services)
    {
        services.AddAuthorizationBuilder().AddPolicy(TokenPolicy, policy => policy
            .AddAuthenticationSchemes(ApiTokenAuthenticationHandler.SchemeName)
            .RequireAuthenticatedUser());

        services.AddMcpServer(o =>
            {
                o.ServerInfo = new Implementation { Name = "catalyst", Title = "Catalyst", Version = "1.0.0" };
                o.ServerInstructions = Instructions;
            })
            .WithHttpTransport(o => o.SessionMode = HttpServerSessionMode.Stateless)
            .WithTools<ProjectTools>(Json)
            .WithTools<AgentProviderTools>(Json)
            .WithTools<AgentTaskTools>(Json)
            .WithTools<AgentPlanTools>(Json)
            .WithTools<ParallelRunTools>(Json)
            .WithTools<WaitForAgentTaskTool>(Json)
            .WithRequestFilters(filters => filters.AddCallToolFilter(next => async (request, ct) =>
            {
                var tool = request.MatchedPrimitive as McpServerTool;
                if (tool is null && request.Params?.Name is { } name) request.Server.ServerOptions.ToolCollection?.TryGetPrimitive(name, out tool);
                if (tool is null) return await next(request, ct);
                McpSpellings.Normalise(request.Params?.Arguments);
                var errors = ToolArguments.Check(tool.ProtocolTool.InputSchema, request.Params?.Arguments?.AsReadOnly());
                if (errors.Count > 0) return McpAnswer.Error($"Invalid arguments for {tool.ProtocolTool.Name}: {string.Join(" ", errors)}");
                try
                {
                    return await next(request, ct);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A bug, not the caller's mistake: logged once with its cause, answered without internals.
                    request.Services?.GetService<ILogger<McpServerTool>>()?.LogError(e, "MCP tool {Tool} failed", tool.ProtocolTool.Name);
                    return McpAnswer.Error($"{tool.ProtocolTool.Name} could not be completed because of a fault on the server; it has been logged. " +
                                           "Check the task or project with a get_ or list_ tool before trying again.");
                }
            }));
        // The argument limits go into the schemas the tools advertise, after the SDK has collected the tools.
        services.PostConfigure<McpServerOptions>(ToolSchemas.Apply);
        return services;
    }
}
