using System.Text.Json.Nodes;

namespace Catalyst.KubernetesLoopback;

/// <summary>A label selector as the API takes it in <c>labelSelector=</c>: <c>a=b</c>, <c>a!=b</c>, <c>a in (x,y)</c>, <c>a notin (x)</c>, <c>a</c>, <c>!a</c>.</summary>
public sealed class LabelSelector
{
    private readonly List<Func<JsonObject?, bool>> _requirements = [];

    public static LabelSelector? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var selector = new LabelSelector();
        foreach (var part in SplitTopLevel(text))
        {
            var term = part.Trim();
            if (term.Length == 0) continue;
            selector._requirements.Add(Requirement(term));
        }
        return selector;
    }

    public bool Matches(JsonObject obj) => _requirements.All(r => r(obj["metadata"]?["labels"] as JsonObject));

    private static Func<JsonObject?, bool> Requirement(string term)
    {
        static string? Label(JsonObject? labels, string key) => labels?[key]?.GetValue<string>();
        int at;
        if ((at = term.IndexOf(" notin ", StringComparison.Ordinal)) > 0)
        {
            var (key, values) = (term[..at].Trim(), SetValues(term[(at + 7)..]));
            return labels => Label(labels, key) is not { } v || !values.Contains(v);
        }
        if ((at = term.IndexOf(" in ", StringComparison.Ordinal)) > 0)
        {
            var (key, values) = (term[..at].Trim(), SetValues(term[(at + 4)..]));
            return labels => Label(labels, key) is { } v && values.Contains(v);
        }
        if ((at = term.IndexOf("!=", StringComparison.Ordinal)) > 0)
        {
            var (key, value) = (term[..at].Trim(), term[(at + 2)..].Trim());
            return labels => Label(labels, key) != value;
        }
        if ((at = term.IndexOf('=')) > 0)
        {
            var key = term[..at].Trim();
            var value = term[(at + (term.Length > at + 1 && term[at + 1] == '=' ? 2 : 1))..].Trim();
            return labels => Label(labels, key) == value;
        }
        if (term.StartsWith('!'))
        {
            var key = term[1..].Trim();
            return labels => labels?.ContainsKey(key) != true;
        }
        return labels => labels?.ContainsKey(term) == true;
    }

    private static HashSet<string> SetValues(string text) =>
        text.Trim().TrimStart('(').TrimEnd(')').Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet();

    private static IEnumerable<string> SplitTopLevel(string text)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '(') depth++;
            else if (text[i] == ')') depth--;
            else if (text[i] == ',' && depth == 0)
            {
                yield return text[start..i];
                start = i + 1;
            }
        }
        yield return text[start..];
    }
}

/// <summary>A field selector (<c>metadata.name=x,status.phase!=Running</c>) over any dotted path of the object.</summary>
public sealed class FieldSelector
{
    private readonly List<(string[] Path, string Value, bool Equal)> _terms = [];

    public static FieldSelector? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var selector = new FieldSelector();
        foreach (var raw in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var notEqual = raw.IndexOf("!=", StringComparison.Ordinal);
            if (notEqual > 0)
            {
                selector._terms.Add((raw[..notEqual].Split('.'), raw[(notEqual + 2)..], false));
                continue;
            }
            var equal = raw.IndexOf('=');
            if (equal <= 0) throw ApiError.BadRequest($"invalid field selector: '{raw}'");
            var value = raw[(equal + 1)..].TrimStart('=');
            selector._terms.Add((raw[..equal].Split('.'), value, true));
        }
        return selector;
    }

    public bool Matches(JsonObject obj) => _terms.All(t =>
    {
        JsonNode? node = obj;
        foreach (var part in t.Path) node = node?[part];
        var actual = node?.ToString() ?? "";
        return (actual == t.Value) == t.Equal;
    });
}
