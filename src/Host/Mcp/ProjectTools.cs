using System.ComponentModel;
using System.Security.Claims;
using Catalyst.Contracts;
using Catalyst.Integrations.Projects;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using Wolverine;

namespace Catalyst.Host.Mcp;

public sealed record ProjectList(IReadOnlyList<ProjectView> Projects);

[McpServerToolType]
public sealed class ProjectTools
{
    [McpServerTool(Name = "list_projects", Title = "List projects", ReadOnly = true, Idempotent = true, OpenWorld = false,
        UseStructuredContent = true, OutputSchemaType = typeof(ProjectList))]
    [Description("Lists the projects you are a member of, by name. A project is a git repository that agent tasks run on; " +
                 "its slug is what the other tools take as `project`.")]
    public static async Task<CallToolResult> ListProjects(ClaimsPrincipal user, IMessageBus bus, CancellationToken ct) =>
        McpAnswer.Ok(new ProjectList(await bus.InvokeAsync<IReadOnlyList<ProjectView>>(new ListProjects(user.UserId()), ct)));

    [McpServerTool(Name = "create_project", Title = "Create a project", Destructive = false, OpenWorld = false,
        UseStructuredContent = true, OutputSchemaType = typeof(ProjectView))]
    [Description("Creates a project for a git repository, with you as its first member. Returns the project; use its slug with create_agent_task.")]
    public static async Task<CallToolResult> CreateProject(
        ClaimsPrincipal user, IMessageBus bus,
        [Description("Display name, up to 100 characters, e.g. \"Billing service\".")] string name,
        [Description("Short id used in URLs and by the other tools: 1 to 50 lowercase letters, digits and dashes, not starting or ending with a dash, e.g. \"billing-service\". Slugs are unique on the server; a used or reserved one is \"not available\".")] string slug,
        [Description("The git repository agents clone: https://host/owner/repo.git, git@host:owner/repo.git, ssh://…, or, where the server allows local repositories, file:///path or an absolute local path.")] string repository_url,
        [Description("The branch tasks start from and open pull requests against: a git branch name, not starting with a dash. Default: main.")] string? default_branch = null,
        [Description("The GitHub repository as owner/name, to link pull requests and issues. Optional.")] string? github_repository = null,
        [Description("How long one task may run before it is stopped, in seconds: 5 to 86400. Default: 3600.")] int? timeout_seconds = null,
        [Description("How many of the project's tasks may run at once: 1 to 100. Default: 2.")] int? max_concurrent_tasks = null,
        CancellationToken ct = default)
    {
        var settings = new ProjectSettings(name, slug, repository_url, default_branch, github_repository);
        settings = settings with
        {
            TimeoutSeconds = timeout_seconds ?? settings.TimeoutSeconds,
            MaxConcurrentTasks = max_concurrent_tasks ?? settings.MaxConcurrentTasks,
        };
        return McpAnswer.From(await bus.InvokeAsync<Result<ProjectView>>(new CreateProject(user.UserId(), settings), ct));
    }
}
