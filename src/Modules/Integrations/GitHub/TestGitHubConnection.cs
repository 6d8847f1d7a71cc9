using Catalyst.Contracts;
using Catalyst.Integrations.Projects;
using Project = Catalyst.Integrations.Projects.Project;
using Marten;
using Octokit;
using Wolverine;

namespace Catalyst.Integrations.GitHub;

/// <summary>"Test connection": signs in the way tasks will and says what the connection may do on the repository.</summary>
public sealed record TestGitHubConnection(Guid UserId, string Slug);

public sealed record GitHubConnectionTest(bool Ok, IReadOnlyList<string> Findings);

public static class TestGitHubConnectionHandler
{
    public static async Task<Result<GitHubConnectionTest>> Handle(TestGitHubConnection query, IQuerySession session, IMessageBus bus,
        GitHubClients clients, CancellationToken ct)
    {
        var project = await session.Query<Project>().FirstOrDefaultAsync(p => p.Slug == query.Slug, ct);
        if (project is null || !project.HasMember(query.UserId)) return Result<GitHubConnectionTest>.NotFound("The project");
        var connection = await session.LoadAsync<GitHubConnection>(project.Id, ct);
        if (connection is null || GitHubClients.SplitRepository(project.GitHubRepository) is not var (owner, name))
            return Result<GitHubConnectionTest>.Ok(new(false, ["No GitHub connection is set for this project yet."]));
        var secret = await bus.InvokeAsync<ProjectSecretValue?>(new RevealProjectSecret(project.Id, connection.SecretName), ct);
        if (secret is null) return Result<GitHubConnectionTest>.Ok(new(false, ["The connection's secret is missing: paste it again and save."]));

        var findings = new List<string>();
        try
        {
            IGitHubClient client;
            if (connection.Kind == GitHubAuthKind.App)
            {
                var app = clients.AsApp(connection.AppId ?? 0, secret.Value);
                var me = await app.GitHubApps.GetCurrent();
                findings.Add($"Signed in as the GitHub App “{me.Name}” (id {me.Id}).");
                var installation = await app.GitHubApps.GetInstallationForCurrent(connection.InstallationId ?? 0);
                var p = installation.Permissions;
                findings.Add($"Installation {installation.Id} on {installation.Account?.Login}: contents {Level(p?.Contents)}, pull requests {Level(p?.PullRequests)}, issues {Level(p?.Issues)}, metadata {Level(p?.Metadata)}.");
                var token = await app.GitHubApps.CreateInstallationToken(connection.InstallationId ?? 0);
                client = clients.WithToken(token.Token);
                findings.Add($"Installation token issued, valid until {token.ExpiresAt:yyyy-MM-dd HH:mm} UTC (renewed 5 minutes before).");
            }
            else
            {
                client = clients.WithToken(secret.Value);
                findings.Add("Signed in with the token.");
            }
            var repository = await client.Repository.Get(owner, name);
            var can = repository.Permissions;
            findings.Add(can is null
                ? $"Reaches {repository.FullName}."
                : $"On {repository.FullName}: read {Yes(can.Pull)}, push {Yes(can.Push)}, admin {Yes(can.Admin)}.");
            await client.Issue.GetAllForRepository(owner, name, new ApiOptions { PageSize = 1, PageCount = 1, StartPage = 1 });
            findings.Add("Reads issues and pull requests.");
            var writes = connection.Kind == GitHubAuthKind.App || can is null || can.Push;
            if (!writes) findings.Add("It cannot push: Catalyst can read, but cannot open pull requests or comment where write access is needed.");
            return Result<GitHubConnectionTest>.Ok(new(writes, findings));
        }
        catch (AuthorizationException e)
        {
            findings.Add($"GitHub refused the credentials ({(int)e.StatusCode}: {e.Message}). Check the {(connection.Kind == GitHubAuthKind.App ? "app id and private key" : "token")}.");
        }
        catch (NotFoundException)
        {
            findings.Add(connection.Kind == GitHubAuthKind.App
                ? $"GitHub found no installation {connection.InstallationId} of this app, or it does not include {owner}/{name}."
                : $"GitHub shows no repository {owner}/{name} to this token: give the token access to it.");
        }
        catch (ApiException e)
        {
            findings.Add($"GitHub answered {(int)e.StatusCode}: {e.Message}");
        }
        catch (HttpRequestException e)
        {
            findings.Add($"GitHub could not be reached at {clients.ApiUrl}: {e.Message}");
        }
        return Result<GitHubConnectionTest>.Ok(new(false, findings));
    }

    private static string Level<T>(StringEnum<T>? level) where T : struct, Enum =>
        level is { } l ? l.StringValue : "none";

    private static string Yes(bool value) => value ? "yes" : "no";
}
