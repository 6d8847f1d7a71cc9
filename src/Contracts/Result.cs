namespace Catalyst.Contracts;

public enum ErrorKind
{
    Invalid,
    NotFound,
    Conflict,
    /// <summary>The caller sees the thing but may not do this to it (a plain member deleting a project).</summary>
    Forbidden,
}

/// <summary>One thing the caller must fix, named by the field it concerns ("" for the whole request).</summary>
public sealed record CommandError(string Field, string Message, ErrorKind Kind = ErrorKind.Invalid);

/// <summary>
/// What a command or query answers: a value, or the errors a page, an MCP tool or a webhook shows as they are.
/// </summary>
public sealed record Result<T>(T? Value, IReadOnlyList<CommandError> Errors)
{
    public bool Succeeded => Errors.Count == 0;
    public bool IsNotFound => Errors.Any(e => e.Kind == ErrorKind.NotFound);
    public bool IsForbidden => Errors.Any(e => e.Kind == ErrorKind.Forbidden);

    public static Result<T> Ok(T value) => new(value, []);
    public static Result<T> Fail(params CommandError[] errors) => new(default, errors);
    public static Result<T> Fail(IReadOnlyList<CommandError> errors) => new(default, errors);
    public static Result<T> NotFound(string what) => new(default, [new CommandError("", $"{what} was not found.", ErrorKind.NotFound)]);

    /// <summary>All messages joined, the way an MCP error or a log line shows them.</summary>
    public string ErrorText => string.Join(" ", Errors.Select(e => e.Message));
}
