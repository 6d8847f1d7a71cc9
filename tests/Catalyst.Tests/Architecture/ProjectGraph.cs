using System.Xml.Linq;

namespace Catalyst.Tests.Architecture;

/// <summary>A project as its csproj declares it: where it is (relative to src/), what it references.</summary>
public sealed record ProjectFile(string Path, IReadOnlyList<string> ProjectReferences, IReadOnlyList<string> FrameworkReferences, IReadOnlyList<string> PackageReferences)
{
    /// <summary>Reads a csproj's references; project references become paths relative to src/ like <see cref="Path"/>.</summary>
    public static ProjectFile Parse(string path, string xml)
    {
        var document = XDocument.Parse(xml);
        var directory = System.IO.Path.GetDirectoryName(path) ?? "";
        IReadOnlyList<string> Includes(string element) =>
            document.Descendants(element).Select(e => (string?)e.Attribute("Include")).OfType<string>().ToArray();
        return new ProjectFile(path,
            Includes("ProjectReference").Select(r => Normalize(System.IO.Path.Combine(directory, r.Replace('\\', '/')))).ToArray(),
            Includes("FrameworkReference"),
            Includes("PackageReference"));
    }

    private static string Normalize(string path)
    {
        var parts = new List<string>();
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == "..") { if (parts.Count > 0) parts.RemoveAt(parts.Count - 1); }
            else if (part != ".") parts.Add(part);
        }
        return string.Join('/', parts);
    }
}

/// <summary>
/// The house rules of the modular monolith, over the projects under src/: a module references Contracts and Web only;
/// Contracts holds messages (no web framework, no other project); the operator runs without ASP.NET.
/// </summary>
public static class ProjectRules
{
    public static IReadOnlyList<string> Violations(IReadOnlyList<ProjectFile> projects)
    {
        var found = new List<string>();
        foreach (var project in projects)
        {
            if (IsModule(project.Path))
                foreach (var reference in project.ProjectReferences.Where(r => !IsContracts(r) && !IsWeb(r)))
                    found.Add($"{project.Path} references {reference}: a module may reference only Contracts and Web; talk to other modules through messages.");
            if (IsContracts(project.Path) || IsOperator(project.Path))
            {
                foreach (var framework in project.FrameworkReferences.Where(IsAspNet))
                    found.Add($"{project.Path} has the framework reference {framework}: it must run without ASP.NET.");
                foreach (var package in project.PackageReferences.Where(IsAspNet))
                    found.Add($"{project.Path} references the package {package}: it must run without ASP.NET.");
                foreach (var reference in project.ProjectReferences.Where(r => !IsContracts(r)))
                    found.Add($"{project.Path} references {reference}: only Contracts may be referenced here.");
            }
        }
        return found;
    }

    public static bool IsAspNet(string name) => name.StartsWith("Microsoft.AspNetCore", StringComparison.OrdinalIgnoreCase);

    private static bool IsModule(string path) => path.StartsWith("Modules/", StringComparison.Ordinal);
    private static bool IsContracts(string path) => path.StartsWith("Contracts/", StringComparison.Ordinal);
    private static bool IsWeb(string path) => path.StartsWith("Web/", StringComparison.Ordinal);
    private static bool IsOperator(string path) => path.StartsWith("Operator/", StringComparison.Ordinal);
}
