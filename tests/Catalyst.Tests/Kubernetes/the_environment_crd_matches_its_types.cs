using System.Collections;
using System.Reflection;
using System.Text.Json.Serialization;
using Catalyst.Operator.Kubernetes.Entities;
using YamlDotNet.RepresentationModel;

namespace Catalyst.Tests.Kubernetes;

/// <summary>The CRD the cluster validates against and the C# types the operator reads and writes say the same thing.</summary>
public class the_environment_crd_matches_its_types
{
    private static readonly YamlMappingNode Crd = LoadCrd();
    private static YamlMappingNode Version => (YamlMappingNode)((YamlSequenceNode)Map(Crd, "spec")["versions"]).Children.Single();
    private static YamlMappingNode Schema => Map(Map(Version, "schema"), "openAPIV3Schema");

    [Fact]
    public void the_crd_names_the_group_version_kind_and_plural_of_the_entity()
    {
        var spec = Map(Crd, "spec");
        Text(spec, "group").ShouldBe(V1Alpha1Environment.Group);
        Text(spec, "scope").ShouldBe("Namespaced");
        Text(Map(spec, "names"), "kind").ShouldBe(V1Alpha1Environment.EntityKind);
        Text(Map(spec, "names"), "plural").ShouldBe(V1Alpha1Environment.Plural);
        Text(Map(Crd, "metadata"), "name").ShouldBe($"{V1Alpha1Environment.Plural}.{V1Alpha1Environment.Group}");
        Text(Version, "name").ShouldBe(V1Alpha1Environment.Version);
    }

    [Fact]
    public void status_is_a_subresource_and_the_printer_columns_are_type_phase_task_age()
    {
        Map(Version, "subresources").Children.Keys.Select(k => k.ToString()).ShouldContain("status");
        var columns = ((YamlSequenceNode)Version["additionalPrinterColumns"]).Children.Cast<YamlMappingNode>()
            .Select(c => (Text(c, "name"), Text(c, "jsonPath"))).ToList();
        columns.ShouldBe([("Type", ".spec.type"), ("Phase", ".status.phase"), ("Task", ".spec.agentConfig.taskId"), ("Age", ".metadata.creationTimestamp")]);
    }

    [Fact]
    public void spec_has_exactly_the_properties_of_the_spec_type()
    {
        var problems = new List<string>();
        Compare(typeof(EnvironmentSpec), Property(Schema, "spec"), "spec", nullable: false, problems);
        problems.ShouldBeEmpty();
    }

    [Fact]
    public void status_has_exactly_the_properties_of_the_status_type()
    {
        var problems = new List<string>();
        Compare(typeof(EnvironmentStatus), Property(Schema, "status"), "status", nullable: true, problems);
        problems.ShouldBeEmpty();
    }

    [Fact]
    public void the_phases_the_crd_allows_are_the_operators_phases()
    {
        var phases = ((YamlSequenceNode)Property(Property(Schema, "status"), "phase")["enum"]).Children.Select(c => c.ToString());
        phases.ShouldBe(Enum.GetNames<EnvironmentPhase>());
    }

    private static void Compare(Type type, YamlMappingNode schema, string path, bool nullable, List<string> problems)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        var declared = Text(schema, "type");
        var isNullable = schema.Children.ContainsKey("nullable") && Text(schema, "nullable") == "true";
        if (isNullable != nullable) problems.Add($"{path}: nullable is {isNullable} in the CRD, {nullable} in C#");

        if (underlying == typeof(string)) Expect("string");
        else if (underlying == typeof(int) || underlying == typeof(long)) Expect("integer");
        else if (underlying == typeof(bool)) Expect("boolean");
        else if (underlying == typeof(DateTime) || underlying == typeof(DateTimeOffset))
        {
            Expect("string");
            if (!schema.Children.ContainsKey("format") || Text(schema, "format") != "date-time") problems.Add($"{path}: a time without format date-time");
        }
        else if (DictionaryValue(underlying) is { } value)
        {
            Expect("object");
            if (!schema.Children.ContainsKey("additionalProperties")) problems.Add($"{path}: a map without additionalProperties");
            else Compare(value, (YamlMappingNode)schema["additionalProperties"], path + "{}", nullable: false, problems);
        }
        else if (ListItem(underlying) is { } item)
        {
            Expect("array");
            if (!schema.Children.ContainsKey("items")) problems.Add($"{path}: an array without items");
            else Compare(item, (YamlMappingNode)schema["items"], path + "[]", nullable: false, problems);
        }
        else
        {
            Expect("object");
            var properties = schema.Children.ContainsKey("properties") ? (YamlMappingNode)schema["properties"] : new YamlMappingNode();
            var inSchema = properties.Children.Keys.Select(k => k.ToString()).ToHashSet();
            var context = new NullabilityInfoContext();
            foreach (var property in underlying.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                var name = property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name;
                if (name is null) { problems.Add($"{path}.{property.Name}: no JsonPropertyName"); continue; }
                if (!inSchema.Remove(name)) { problems.Add($"{path}.{name}: in C#, not in the CRD"); continue; }
                var isNull = context.Create(property).ReadState == NullabilityState.Nullable;
                Compare(property.PropertyType, Property(schema, name), $"{path}.{name}", isNull, problems);
            }
            problems.AddRange(inSchema.Select(name => $"{path}.{name}: in the CRD, not in C#"));
        }

        void Expect(string expected)
        {
            if (declared != expected) problems.Add($"{path}: type {declared} in the CRD, {expected} for {underlying.Name} in C#");
        }
    }

    private static Type? DictionaryValue(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IDictionary<,>) ? type.GetGenericArguments()[1] : null;

    private static Type? ListItem(Type type) =>
        type != typeof(string) && type.IsGenericType && typeof(IEnumerable).IsAssignableFrom(type) ? type.GetGenericArguments()[0] : null;

    private static YamlMappingNode Property(YamlMappingNode schema, string name) => Map(Map(schema, "properties"), name);

    private static YamlMappingNode Map(YamlMappingNode node, string key) => (YamlMappingNode)node[key];

    private static string Text(YamlMappingNode node, string key) => ((YamlScalarNode)node[key]).Value ?? "";

    private static YamlMappingNode LoadCrd()
    {
        var yaml = new YamlStream();
        using var reader = new StringReader(File.ReadAllText(RepositoryFiles.PathOf("deploy/kubernetes/crd/environments.catalyst.dev.yaml")));
        yaml.Load(reader);
        return (YamlMappingNode)yaml.Documents.Single().RootNode;
    }
}
