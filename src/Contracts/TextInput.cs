namespace Catalyst.Contracts;

/// <summary>
/// What every text field refuses, whoever sends it (page, MCP, API): characters PostgreSQL cannot store (NUL), other control
/// characters, broken UTF-16, and text beyond the field's limit. The message names the field and says what to do.
/// </summary>
public static class TextInput
{
    /// <summary>A character no field takes: NUL and the other control characters (line breaks and tabs where text may span lines), or a lone surrogate.</summary>
    public static string? ProblemCharacter(string text, bool allowLineBreaks)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
            if (char.IsSurrogate(c)) return "a broken Unicode character (a lone surrogate)";
            if (allowLineBreaks && c is '\n' or '\r' or '\t') continue;
            if (char.IsControl(c) || c is '\u2028' or '\u2029') return c == '\0' ? "a NUL character" : $"a control character (U+{(int)c:X4})";
        }
        return null;
    }

    /// <summary>The error for one field, or null: <paramref name="label"/> is how the page names it ("The label").</summary>
    public static CommandError? Check(string field, string label, string? value, int maxLength, bool multiLine = false)
    {
        if (value is null) return null;
        if (ProblemCharacter(value, multiLine) is { } problem)
            return new(field, $"{label} contains {problem}; remove it and send plain text{(multiLine ? "" : " on one line")}.");
        if (value.Length > maxLength)
            return new(field, $"{label} is {value.Length:N0} characters long; keep it to {maxLength:N0} or fewer.");
        return null;
    }
}
