using System.Net;
using Catalyst.Tests.Infrastructure;
using Catalyst.Tests.Tasks;
using Catalyst.Tests.Workspaces;

namespace Catalyst.Tests.Hardening;

public sealed class a_checkbox_that_is_not_one_gets_a_400(AppFixture fixture) : IntegrationContext(fixture)
{
    private readonly WorkspaceSandbox _sandbox = WorkspaceSandbox.Create();

    public override ValueTask DisposeAsync()
    {
        _sandbox.Dispose();
        return base.DisposeAsync();
    }

    [Fact]
    public async Task plan_first_posted_as_yes_is_answered_beside_the_field_and_no_task_is_made()
    {
        using var ada = await SignedUp("ada@example.com");
        await ada.CreateProjectAsync("forms", _sandbox.Origin);
        var credential = await ada.AddScriptCredentialAsync(Store);

        var response = await ada.PostFormAsync("/projects/forms/agents/new", new()
        {
            ["Type"] = "feature-dev", ["Provider"] = ScriptAgent.Name, ["CredentialId"] = credential.ToString(),
            ["Instructions"] = "echo hi", ["PlanFirst"] = "yes",
        });

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).ShouldContain("Plan first is a checkbox: send true or false.");
        (await ada.GetHtmlAsync("/projects/forms/agents")).ShouldNotContain("echo hi");
    }
}
