using Catalyst.Contracts;
using Catalyst.Providers.Catalogue;

namespace Catalyst.Tests.Infrastructure;

/// <summary>
/// An agent provider for tests whose "CLI" runs its instructions as a bash script in the clone: a test writes what
/// the agent does (print lines, commit, fail, hang, print its key) as the task's instructions.
/// </summary>
public static class ScriptAgent
{
    public const string Name = "script-agent";
    public const string KeyVariable = "SCRIPT_AGENT_KEY";

    public static readonly AgentProviderDefinition Definition = new()
    {
        Name = Name,
        DisplayName = "Script agent",
        Description = "Runs the task's instructions as a bash script (tests only).",
        Monogram = "SA",
        Order = 900,
        CredentialVariables = [KeyVariable],
        DefaultBaseUrl = "http://127.0.0.1:9",
        KeyCheck = new CredentialCheck("GET", "v1/models", new Dictionary<string, string> { ["x-api-key"] = "{key}" }),
        Command = ["bash", "{prompt_file}"],
        // Plan first: the script (the instructions up to the plan request after "---") is kept in HOME and runs with "plan";
        // the approval runs it again with "execute" and the approval message, in the same workspace and HOME.
        Features = [AgentFeatures.Plans],
        PlanCommand = ["bash", "-c", "sed '/^---$/,$d' \"$1\" > \"$HOME/agent.sh\" && exec bash \"$HOME/agent.sh\" plan", "script-agent", "{prompt_file}"],
        ResumeCommand = ["bash", "{home}/agent.sh", "execute", "{prompt}"],
        OutputFormat = "text",
    };
}
