using System.Reflection;

namespace Catalyst.Tests.Architecture;

/// <summary>
/// Modules talk only through messages: the real csproj files under src/ and the built assemblies are checked, and the
/// rule itself is shown to catch each kind of breach on made-up projects.
/// </summary>
public sealed class modules_depend_only_on_contracts
{
    private static string SourceDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Catalyst.sln"))) return Path.Combine(dir.FullName, "src");
        throw new InvalidOperationException($"No Catalyst.sln above {AppContext.BaseDirectory}.");
    }

    private static IReadOnlyList<ProjectFile> RealProjects()
    {
        var src = SourceDirectory();
        return Directory.EnumerateFiles(src, "*.csproj", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(p => ProjectFile.Parse(Path.GetRelativePath(src, p).Replace('\\', '/'), File.ReadAllText(p)))
            .ToArray();
    }

    [Fact]
    public void the_projects_under_src_keep_the_rules()
    {
        var projects = RealProjects();
        // The rule must have something to judge: four modules, Contracts and the operator.
        projects.Count(p => p.Path.StartsWith("Modules/", StringComparison.Ordinal)).ShouldBe(4);
        projects.ShouldContain(p => p.Path == "Contracts/Catalyst.Contracts.csproj");
        projects.ShouldContain(p => p.Path == "Operator/Catalyst.Operator.csproj");
        ProjectRules.Violations(projects).ShouldBeEmpty();
    }

    [Fact]
    public void the_built_contracts_and_operator_do_not_load_aspnet_and_modules_do_not_load_each_other()
    {
        Assembly[] modules = [typeof(Catalyst.Tasks.TasksModule).Assembly, typeof(Catalyst.Providers.ProvidersModule).Assembly,
            typeof(Catalyst.Credentials.CredentialsModule).Assembly, typeof(Catalyst.Integrations.IntegrationsModule).Assembly];
        var moduleNames = modules.Select(m => m.GetName().Name!).ToHashSet();
        foreach (var assembly in new[] { typeof(Catalyst.Contracts.WorkspaceSpec).Assembly, typeof(Catalyst.Operator.LocalWorkspaces).Assembly })
            assembly.GetReferencedAssemblies().Select(a => a.Name!).Where(ProjectRules.IsAspNet).ShouldBeEmpty($"{assembly.GetName().Name} references ASP.NET");
        foreach (var module in modules)
            module.GetReferencedAssemblies().Select(a => a.Name!).Where(n => moduleNames.Contains(n) || n is "Catalyst.Host" or "Catalyst.Operator")
                .ShouldBeEmpty($"{module.GetName().Name} references another module or the Host");
    }

    [Fact]
    public void a_module_that_references_another_module_or_the_host_is_caught()
    {
        var tasks = ProjectFile.Parse("Modules/Tasks/Catalyst.Tasks.csproj", """
            <Project Sdk="Microsoft.NET.Sdk.Razor">
              <ItemGroup>
                <ProjectReference Include="../../Contracts/Catalyst.Contracts.csproj" />
                <ProjectReference Include="../../Web/Catalyst.Web.csproj" />
                <ProjectReference Include="..\Credentials\Catalyst.Credentials.csproj" />
                <ProjectReference Include="../../Host/Catalyst.Host.csproj" />
              </ItemGroup>
            </Project>
            """);
        var violations = ProjectRules.Violations([tasks]);
        violations.Count.ShouldBe(2);
        violations[0].ShouldStartWith("Modules/Tasks/Catalyst.Tasks.csproj references Modules/Credentials/Catalyst.Credentials.csproj");
        violations[1].ShouldStartWith("Modules/Tasks/Catalyst.Tasks.csproj references Host/Catalyst.Host.csproj");
    }

    [Fact]
    public void contracts_or_the_operator_with_aspnet_is_caught()
    {
        var contracts = ProjectFile.Parse("Contracts/Catalyst.Contracts.csproj", """
            <Project Sdk="Microsoft.NET.Sdk">
              <ItemGroup><FrameworkReference Include="Microsoft.AspNetCore.App" /></ItemGroup>
            </Project>
            """);
        var operatorProject = ProjectFile.Parse("Operator/Catalyst.Operator.csproj", """
            <Project Sdk="Microsoft.NET.Sdk">
              <ItemGroup>
                <PackageReference Include="Microsoft.AspNetCore.Http.Abstractions" />
                <ProjectReference Include="../Web/Catalyst.Web.csproj" />
              </ItemGroup>
            </Project>
            """);
        ProjectRules.Violations([contracts, operatorProject]).ShouldBe([
            "Contracts/Catalyst.Contracts.csproj has the framework reference Microsoft.AspNetCore.App: it must run without ASP.NET.",
            "Operator/Catalyst.Operator.csproj references the package Microsoft.AspNetCore.Http.Abstractions: it must run without ASP.NET.",
            "Operator/Catalyst.Operator.csproj references Web/Catalyst.Web.csproj: only Contracts may be referenced here.",
        ]);
    }
}
