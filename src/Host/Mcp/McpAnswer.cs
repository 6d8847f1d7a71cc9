using System.Text.Json;
using Catalyst.Contracts;
using ModelContextProtocol.Protocol;

namespace Catalyst.Host.Mcp;

/// <summary>
/// How a tool answers: structured content, with the same JSON as text for clients that read only text;
/// or an MCP tool error (isError) with the messages a page shows for the same mistake.
/// </summary>
public static class McpAnswer
{
    public static CallToolResult Ok<T>(T value)
    {
        var node = JsonSerializer.SerializeToNode(value, CatalystMcp.Json);
        McpSpellings.InAnswer(node);
        // Plain UTF-8 JSON: the same encoder as the serializer, so an apostrophe or a non-ASCII letter is not escaped.
        var text = node?.ToJsonString(CatalystMcp.Json) ?? "null";
        var json = JsonDocument.Parse(text).RootElement.Clone();
        return new CallToolResult
        {
            Content = [new TextContentBlock { Text = text }],
            StructuredContent = json,
        };
    }

    public static CallToolResult From<T, TOut>(Result<T> result, Func<T, TOut> shape) =>
        result.Succeeded ? Ok(shape(result.Value!)) : Error(result.ErrorText);

    public static CallToolResult From<T>(Result<T> result) => From(result, v => v);

    public static CallToolResult Error(string message) => new()
    {
        IsError = true,
        Content = [new TextContentBlock { Text = message }],
    };

    /// <summary>Anything else's, or nothing: the same answer (a task id that is not a UUID cannot be anyone's task).</summary>
    public static CallToolResult NotFound(string what) => Error(Result<object>.NotFound(what).ErrorText);
}
