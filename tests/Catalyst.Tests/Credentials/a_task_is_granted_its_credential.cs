using Catalyst.Contracts;
using Catalyst.Providers.Catalogue;
using Catalyst.Tasks;
using Catalyst.Tasks.Domain;
using Catalyst.Tasks.Logs;
using Catalyst.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Wolverine;

namespace Catalyst.Tests.Credentials;

/// <summary>Creating (or retrying) a task grants it the credential; only a granted task's workspace gets the key.</summary>
public sealed class a_task_is_granted_its_credential(AppFixture fixture) : IntegrationContext(fixture)
{
    private static readonly Guid User = Guid.NewGuid();
    private static readonly ProjectRef Project = new(Guid.NewGuid(), "shop", "Shop", "/srv/git/shop.git", "main", null, 600, 2, [User]);
    private static readonly CredentialRef Credential = new(Guid.NewGuid(), User, "claude-code", "work", "sk-ant…abcd", true, null, null);

    private static GrantCredentialToTask Granted(TestMessageContext bus) =>
        bus.Invoked.Select(m => m is Envelope e ? e.Message : m).OfType<GrantCredentialToTask>().Single();

    private static TestMessageContext Bus(CredentialRef grant)
    {
        var bus = new TestMessageContext();
        bus.WhenInvokedMessageOf<FindMemberProject>().RespondWith(Project);
        bus.WhenInvokedMessageOf<FindProjectById>().RespondWith(Project);
        bus.WhenInvokedMessageOf<GetAgentProvider>().RespondWith(AgentProvider.From(BuiltInAgentProviders.ClaudeCode, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow).ToInfo());
        bus.WhenInvokedMessageOf<FindUserCredential>().RespondWith(Credential);
        bus.WhenInvokedMessageOf<GrantCredentialToTask>().RespondWith(grant);
        return bus;
    }

    [Fact]
    public async Task a_new_task_is_granted_its_credential_under_its_own_id()
    {
        var command = new CreateAgentTask(User, "shop", "feature-dev", "Add a README.", "claude-code", Credential.Id);
        await using var session = Store.LightweightSession();
        var bus = Bus(Credential);
        var (result, _) = await CreateAgentTaskHandler.Handle(command, session, bus, TimeProvider.System, CancellationToken.None);
        result.Succeeded.ShouldBeTrue(result.ErrorText);
        Granted(bus).ShouldBe(new GrantCredentialToTask(User, Credential.Id, result.Value!.TaskId));
    }

    [Fact]
    public async Task a_retry_is_a_new_task_with_its_own_grant()
    {
        var failed = Guid.NewGuid();
        var now = DateTimeOffset.UtcNow;
        await using (var session = Store.LightweightSession())
        {
            session.Events.StartStream<AgentTask>(failed,
                new AgentTaskCreated(failed, Project.Id, Project.Slug, "feature-dev", TaskContext.Manual, "claude-code", "Claude Code",
                    Credential.Id, Credential.Label, "Add a README.", User, now, null, 600),
                new AgentTaskQueued(now),
                new AgentTaskFinished(AgentTaskStatus.Failed, "The agent crashed.", null, 1, now));
            await session.SaveChangesAsync();
        }
        var logs = Host.Services.GetRequiredService<TaskLogWriter>();

        await using (var session = Store.LightweightSession())
        {
            var bus = Bus(Credential);
            var (retried, _) = await RetryAgentTaskHandler.Handle(new RetryAgentTask(User, failed), session, bus, logs, TimeProvider.System, CancellationToken.None);
            retried.Succeeded.ShouldBeTrue(retried.ErrorText);
            retried.Value!.TaskId.ShouldNotBe(failed);
            Granted(bus).ShouldBe(new GrantCredentialToTask(User, Credential.Id, retried.Value.TaskId));
        }
    }
}
