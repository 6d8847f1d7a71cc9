namespace Catalyst.Contracts;

/// <summary>Telling "the database cannot be reached" apart from "a statement failed".</summary>
public static class DatabaseErrors
{
    /// <summary>
    /// Whether <paramref name="e"/> (or what it wraps) says the database cannot be reached: no server, a broken connection,
    /// a server shutting down or starting up. A statement PostgreSQL refused (a constraint, a syntax error) is not one.
    /// </summary>
    public static bool Unavailable(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is AggregateException aggregate && aggregate.InnerExceptions.Any(Unavailable)) return true;
            // PostgreSQL's own errors carry an SQLSTATE: connection exceptions (08) and shutdown, crash or start-up (57P).
            if (e is System.Data.Common.DbException { SqlState: { } state })
                return state.StartsWith("08", StringComparison.Ordinal) || state.StartsWith("57P", StringComparison.Ordinal);
            // The client's own (Npgsql's without an SQLSTATE): no socket, a connection that broke, a timeout connecting.
            if (e is System.Data.Common.DbException or System.Net.Sockets.SocketException) return true;
        }
        return false;
    }
}
