using System.Net;

namespace Catalyst.Host.Database;

/// <summary>
/// A request that failed because PostgreSQL cannot be reached answers 503 with a message that says so: a page for a
/// browser, ProblemDetails for everything else (API clients, htmx fragments, SSE). Never an empty 500.
/// </summary>
public sealed class DatabaseOutage(RequestDelegate next, ILogger<DatabaseOutage> logger)
{
    public const string Message = "The database is unavailable at the moment, so Catalyst cannot answer this request. " +
        "Nothing you sent before was lost; try again in a minute. Running tasks go on, and their output is stored when the database is back.";

    /// <summary>Seconds a client is asked to wait before it tries again.</summary>
    public const int RetryAfterSeconds = 10;

    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (Exception e) when (IsCause(e) && !context.Response.HasStarted)
        {
            LogRefusal(logger, e);
            await WriteAsync(context);
        }
    }

    private static long _lastLogged;
    private static int _refusedSinceLogged;

    /// <summary>
    /// At most one line every 30 s however many requests are refused (the database's own state is logged by whoever
    /// watches it), with the number refused since the last line.
    /// </summary>
    public static void LogRefusal(ILogger logger, Exception e)
    {
        var refused = Interlocked.Increment(ref _refusedSinceLogged);
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastLogged);
        if (last != 0 && now - last < 30_000) return;
        if (Interlocked.CompareExchange(ref _lastLogged, now, last) != last) return;
        Interlocked.Add(ref _refusedSinceLogged, -refused);
        logger.LogWarning("The database is unavailable ({Error}): {Count} request(s) answered 503 since the last such line", e.GetBaseException().Message, refused);
    }

    /// <summary>Whether <paramref name="e"/> (or what it wraps) says the database cannot be reached, rather than that a statement failed.</summary>
    public static bool IsCause(Exception? e) => Catalyst.Contracts.DatabaseErrors.Unavailable(e);

    public static async Task WriteAsync(HttpContext context)
    {
        context.Response.Clear();
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.Response.Headers.CacheControl = "no-store";
        if (WantsPage(context.Request))
        {
            context.Response.ContentType = "text/html; charset=utf-8";
            await context.Response.WriteAsync(Page, context.RequestAborted);
            return;
        }
        await Results.Problem(title: "The database is unavailable", detail: Message, statusCode: StatusCodes.Status503ServiceUnavailable)
            .ExecuteAsync(context);
    }

    /// <summary>A person's browser asking for a whole page (not an htmx fragment, not an API client).</summary>
    private static bool WantsPage(HttpRequest request) =>
        !request.Headers.ContainsKey("HX-Request")
        && request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);

    // Standalone: the site's layout reads the signed-in user from the database, which is what is missing.
    private static readonly string Page = $$"""
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta http-equiv="refresh" content="{{RetryAfterSeconds * 3}}">
        <title>Catalyst is waiting for its database</title>
        <link rel="stylesheet" href="/css/site.css">
        </head>
        <body>
        <main>
        <section class="empty">
        <h1>Catalyst is waiting for its database</h1>
        <p>{{WebUtility.HtmlEncode(Message)}}</p>
        <p>This page reloads by itself every {{RetryAfterSeconds * 3}} seconds.</p>
        </section>
        </main>
        </body>
        </html>
        """;
}
