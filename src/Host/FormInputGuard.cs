using System.Text.RegularExpressions;
using Catalyst.Contracts;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
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

    /// <summary>
    /// Fields that are text areas: a line break or a tab is part of their text, and another control character (which PostgreSQL
    /// would store) is left to the field's own rule, which answers beside the field; a NUL never passes.
    /// </summary>
    public static readonly HashSet<string> MultiLine = new(StringComparer.OrdinalIgnoreCase)
    {
        "Instructions", "Notes", "Reason", "PreHooks", "PostHooks", "AllowedHosts", "ContextDetails", "Key", "Hooks",
    };

    public Task OnPageHandlerSelectionAsync(PageHandlerSelectedContext context) => Task.CompletedTask;

    public async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        // The error page shown for a refusal reads the same form again: it must not be refused in turn.
        if (context.HttpContext.Features.Get<IStatusCodeReExecuteFeature>() is null && SafeRefusal(context.HttpContext.Request) is { } message)
        {
            context.HttpContext.Items[RefusalKey] = message;
            context.Result = new StatusCodeResult(StatusCodes.Status400BadRequest);
            return;
        }
        await next();
    }

    /// <summary>A form the framework's reader cannot read (a multipart body with a NUL) is refused too, in the same words.</summary>
    private static string? SafeRefusal(HttpRequest request)
    {
        try
        {
            return Refusal(request);
        }
        catch (InvalidDataException)
        {
            return "A field contains a NUL character or text that is not valid; remove it and send the form again.";
        }
    }

    public static string? Refusal(HttpRequest request, bool form = true)
    {
        if (TextInput.ProblemCharacter(request.Path.Value ?? "", allowLineBreaks: false) is { } inPath)
            return $"The address contains {inPath}; use the links and forms of the app.";
        var fields = request.Query.SelectMany(q => q.Value.Select(v => (q.Key, Value: v ?? "")));
        if (form && request.HasFormContentType) fields = fields.Concat(request.Form.SelectMany(f => f.Value.Select(v => (f.Key, Value: v ?? ""))));
        return Refusal(fields);
    }

    public static string? Refusal(IEnumerable<(string Key, string Value)> fields)
    {
        foreach (var (key, value) in fields)
        {
            var label = Label(key);
            var multiLine = IsMultiLine(key);
            if (TextInput.ProblemCharacter(key, allowLineBreaks: false) is { } inName)
                return $"A field name contains {inName}; send the form from its page.";
            if (TextInput.ProblemCharacter(value, multiLine) is { } problem && (!multiLine || problem.StartsWith("a NUL") || problem.Contains("surrogate")))
                return $"“{label}” contains {problem}. Remove it and send the form again{(multiLine ? "" : "; the field takes one line of plain text")}.";
            if (value.Length > MaxFieldChars)
                return $"“{label}” is {value.Length:N0} characters long; no field takes more than {MaxFieldChars:N0}. Shorten it and send the form again.";
        }
        return null;
    }

    public static bool IsMultiLine(string key) => MultiLine.Contains(key.Split('.')[^1].Split('[')[0]);

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
    /// <summary>A form body read to look for characters no field takes; larger ones are left to the form reader's own limits.</summary>
    private const int MaxScannedFormBytes = 8 * 1024 * 1024;

    public async Task InvokeAsync(HttpContext context)
    {
        var message = FormInputGuard.Refusal(context.Request, form: false) ?? await FormRefusal(context.Request);
        if (message is null)
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
        // ASP.NET Core's own form reader throws on a NUL: the error page shown next must not read this form again.
        context.Features.Set<IFormFeature>(new FormFeature(FormCollection.Empty));
        context.Request.Body = Stream.Null;
        // Empty body: the status code pages show the error page, which reads the message from here.
        context.Items[FormInputGuard.RefusalKey] = message;
    }

    /// <summary>A url-encoded form's fields, decoded here rather than by the form reader (which refuses a NUL without naming the field).</summary>
    private static async Task<string?> FormRefusal(HttpRequest request)
    {
        if (!HttpMethods.IsPost(request.Method) || request.ContentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) != true
            || request.ContentLength > MaxScannedFormBytes)
            return null;
        request.EnableBuffering();
        using var reader = new StreamReader(request.Body, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: false, leaveOpen: true);
        var body = await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
        request.Body.Position = 0;
        var fields = body.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(pair =>
        {
            var at = pair.IndexOf('=');
            return (Key: Decode(at < 0 ? pair : pair[..at]), Value: at < 0 ? "" : Decode(pair[(at + 1)..]));
        });
        return FormInputGuard.Refusal(fields);
    }

    private static string Decode(string text) => Uri.UnescapeDataString(text.Replace('+', ' '));
}
