using System.Text.RegularExpressions;
using Catalyst.Contracts;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;

namespace Catalyst.Host;

/// <summary>
/// Every page's form fields and query values, before any handler runs: a NUL or another control character, broken Unicode, or
/// text beyond <see cref="MaxFieldChars"/> is answered 400 with a page that names the field and says what to do (nothing of it
/// reaches a command or PostgreSQL). The fields' own, smaller limits are the commands' to check, beside the field.
/// </summary>
public sealed partial class FormInputGuard : IAsyncPageFilter
{
    /// <summary>Above the largest field (instructions, 100 KB): nothing a person types legitimately.</summary>
    public const int MaxFieldChars = 128 * 1024;
    public const string RefusalKey = "catalyst.refused-input";

    /// <summary>Fields that are text areas: a line break or a tab is part of their text.</summary>
    private static readonly HashSet<string> MultiLine = new(StringComparer.OrdinalIgnoreCase)
    {
        "Instructions", "Notes", "Reason", "PreHooks", "PostHooks", "AllowedHosts", "ContextDetails", "Key", "Hooks",
    };

    public Task OnPageHandlerSelectionAsync(PageHandlerSelectedContext context) => Task.CompletedTask;

    public async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        // The error page shown for a refusal reads the same form again: it must not be refused in turn.
        if (context.HttpContext.Features.Get<IStatusCodeReExecuteFeature>() is null && Refusal(context.HttpContext.Request) is { } message)
        {
            context.HttpContext.Items[RefusalKey] = message;
            context.Result = new StatusCodeResult(StatusCodes.Status400BadRequest);
            return;
        }
        await next();
    }

    public static string? Refusal(HttpRequest request, bool form = true)
    {
        if (TextInput.ProblemCharacter(request.Path.Value ?? "", allowLineBreaks: false) is { } inPath)
            return $"The address contains {inPath}; use the links and forms of the app.";
        var fields = request.Query.Select(q => (q.Key, q.Value));
        if (form && request.HasFormContentType) fields = fields.Concat(request.Form.Select(f => (f.Key, f.Value)));
        foreach (var (key, values) in fields)
        {
            foreach (var value in values)
            {
                if (value is null) continue;
                var label = Label(key);
                var multiLine = MultiLine.Contains(key.Split('.')[^1].Split('[')[0]);
                if (TextInput.ProblemCharacter(key, allowLineBreaks: false) is { } inName)
                    return $"A field name contains {inName}; send the form from its page.";
                if (TextInput.ProblemCharacter(value, multiLine) is { } problem)
                    return $"“{label}” contains {problem}. Remove it and send the form again{(multiLine ? "" : "; the field takes one line of plain text")}.";
                if (value.Length > MaxFieldChars)
                    return $"“{label}” is {value.Length:N0} characters long; no field takes more than {MaxFieldChars:N0}. Shorten it and send the form again.";
            }
        }
        return null;
    }

    /// <summary>"Form.DefaultBranch" → "Default branch": the field as the form labels it.</summary>
    public static string Label(string key)
    {
        var name = key.Split('.')[^1].Split('[')[0];
        if (name.Length == 0) return key;
        var words = Words().Replace(name, " $1").Trim().ToLowerInvariant();
        return char.ToUpperInvariant(words[0]) + words[1..];
    }

    [GeneratedRegex("(?<!^)([A-Z][a-z]|(?<=[a-z])[A-Z])")]
    private static partial Regex Words();
}

/// <summary>
/// The address and query of every request (pages, /api, /mcp, event streams), before routing: the same refusal as
/// <see cref="FormInputGuard"/>, as ProblemDetails for machine endpoints and as the error page for people.
/// </summary>
public sealed class RequestInputGuard(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (FormInputGuard.Refusal(context.Request, form: false) is not { } message)
        {
            await next(context);
            return;
        }
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        if (Accounts.AccountsModule.AcceptsApiTokens(context.Request))
        {
            await Results.Problem(title: "The request cannot be accepted", detail: message, statusCode: StatusCodes.Status400BadRequest).ExecuteAsync(context);
            return;
        }
        // Empty body: the status code pages show the error page, which reads the message from here.
        context.Items[FormInputGuard.RefusalKey] = message;
    }
}
