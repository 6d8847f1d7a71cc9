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
        DictionaryKeyPolicy = null,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        TypeInfoResolver = JsonTypeInfoResolver.Combine(McpJsonUtilities.DefaultOptions.TypeInfoResolver, new DefaultJsonTypeInfoResolver()),
    };

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

        services.AddMcpServer(o => o.ServerInfo = new Implementation { Name = "catalyst", Title = "Catalyst", Version = "1.0.0" })
            .WithHttpTransport(o => o.SessionMode = HttpServerSessionMode.Stateless)
            .WithTools<ProjectTools>(Json)
            .WithTools<AgentProviderTools>(Json)
            .WithTools<AgentTaskTools>(Json)
            .WithTools<AgentPlanTools>(Json)
            .WithTools<ParallelRunTools>(Json)
            .WithRequestFilters(filters => filters.AddCallToolFilter(next => async (request, ct) =>
            {
                var tool = request.MatchedPrimitive as McpServerTool;
                if (tool is null && request.Params?.Name is { } name) request.Server.ServerOptions.ToolCollection?.TryGetPrimitive(name, out tool);
                if (tool is not null)
                {
                    var errors = ToolArguments.Check(tool.ProtocolTool.InputSchema, request.Params?.Arguments?.AsReadOnly());
                    if (errors.Count > 0) return McpAnswer.Error($"Invalid arguments for {tool.ProtocolTool.Name}: {string.Join(" ", errors)}");
                }
                return await next(request, ct);
            }));
        return services;
    }
}
