using System.Collections.Concurrent;
using Marten;
using Marten.Services;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Catalyst.Web;

/// <summary>A document type that checks made on every request are read from (a sign-in session, an account, a project).</summary>
public sealed record WatchedDocument(Type Type);

/// <summary>
/// Tells every node that shares the database when a watched document changed, so that the checks cached from those
/// documents (is this session open, is this person a member of that project) are read again. A commit that changes
/// one sends a PostgreSQL notice on the channel <c>catalyst_changes</c> from inside its transaction (heard only if it
/// commits), and clears this node's caches itself once committed, before the request that made the change answers.
/// A cache is trusted only while this node listens: before the first <c>listen</c>, while the connection is down and
/// until it listens again, every check reads the database. The listening connection is checked every few seconds, so
/// a connection that died without a word is noticed too.
/// </summary>
/// <remarks>The store is taken when listening starts, not when this is made: Marten's own listener needs this while the store is being built.</remarks>
public sealed class ChangeNotices(IServiceProvider services, IEnumerable<WatchedDocument> watched, ILogger<ChangeNotices> logger) : BackgroundService
{
    public const string Channel = "catalyst_changes";
    private static readonly TimeSpan Reconnect = TimeSpan.FromSeconds(1), Ping = TimeSpan.FromSeconds(5);
    private readonly HashSet<Type> _watched = watched.Select(w => w.Type).ToHashSet();
    private readonly List<Action> _clears = [];
    private long _generation;
    private volatile bool _listening;

    /// <summary>Whether a cached check may be used now.</summary>
    public bool Listening => _listening;

    /// <summary>Moves on at every change heard and every loss of the connection: a check read across a move is not kept.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    public bool Watches(Type type) => _watched.Contains(type);

    internal void OnChange(Action clear)
    {
        lock (_clears) _clears.Add(clear);
    }

    /// <summary>Something watched changed: the generation moves first, then every cache is emptied (see <see cref="NoticedCache{TKey,TValue}"/>).</summary>
    public void Changed()
    {
        Interlocked.Increment(ref _generation);
        Action[] clears;
        lock (_clears) clears = [.. _clears];
        foreach (var clear in clears) clear();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var store = services.GetRequiredService<IDocumentStore>();
        var connected = true;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = store.Storage.Database.CreateConnection();
                await connection.OpenAsync(stoppingToken);
                connection.Notification += (_, _) => Changed();
                await using (var listen = new NpgsqlCommand($"listen {Channel}", connection)) await listen.ExecuteNonQueryAsync(stoppingToken);
                // Whatever changed while this node was not listening: nothing cached from before is kept.
                Changed();
                _listening = true;
                if (!connected) logger.LogInformation("Hearing other nodes' changes to sessions, accounts and projects again");
                connected = true;
                while (!stoppingToken.IsCancellationRequested)
                {
                    if (await connection.WaitAsync(Ping, stoppingToken)) continue;
                    await using var ping = new NpgsqlCommand("select 1", connection);
                    await ping.ExecuteScalarAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                if (connected) logger.LogWarning("Stopped hearing other nodes' changes to sessions, accounts and projects: {Reason}; every check reads the database until this node hears them again", e.Message);
                connected = false;
            }
            finally
            {
                _listening = false;
                Changed();
            }
            try { await Task.Delay(Reconnect, stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }
}

/// <summary>
/// Announces, in the transaction of any commit that stores or deletes a watched document, that it changed; and once that
/// commit is done, empties this node's caches.
/// </summary>
public sealed class ChangeNoticeListener(ChangeNotices notices) : DocumentSessionListenerBase
{
    public override Task BeforeSaveChangesAsync(IDocumentSession session, CancellationToken token)
    {
        if (session.PendingChanges.Operations().Any(o => notices.Watches(o.DocumentType)))
            session.QueueSqlCommand("select pg_notify(?, '')", ChangeNotices.Channel);
        return Task.CompletedTask;
    }

    public override Task AfterCommitAsync(IDocumentSession session, IChangeSet commit, CancellationToken token)
    {
        if (commit.Inserted.Concat(commit.Updated).Any(d => notices.Watches(d.GetType())) || commit.Deleted.Any(d => notices.Watches(d.DocumentType)))
            notices.Changed();
        return Task.CompletedTask;
    }
}

/// <summary>
/// Answers of a check read from watched documents, kept for at most <c>lifetime</c> and only while the node hears
/// changes (<see cref="ChangeNotices"/>); any change empties it. A check read while a change was heard is not kept.
/// </summary>
public sealed class NoticedCache<TKey, TValue> where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, Entry> _entries = new();
    private readonly ChangeNotices _notices;
    private readonly TimeProvider _clock;
    private readonly long _lifetime;
    private readonly int _capacity;

    public NoticedCache(ChangeNotices notices, TimeProvider clock, TimeSpan lifetime, int capacity = 10_000)
    {
        (_notices, _clock, _capacity) = (notices, clock, capacity);
        _lifetime = (long)(lifetime.TotalSeconds * clock.TimestampFrequency);
        notices.OnChange(_entries.Clear);
    }

    public async ValueTask<TValue> GetAsync(TKey key, Func<TKey, CancellationToken, Task<TValue>> read, CancellationToken ct)
    {
        var now = _clock.GetTimestamp();
        if (_notices.Listening && _entries.TryGetValue(key, out var hit) && hit.Until > now) return hit.Value;
        var generation = _notices.Generation;
        var listening = _notices.Listening;
        var value = await read(key, ct);
        if (!listening || !_notices.Listening || _notices.Generation != generation) return value;
        if (_entries.Count >= _capacity) _entries.Clear();
        var entry = new Entry(value, now + _lifetime);
        _entries[key] = entry;
        // A change heard between the check above and this store: the generation moved before the cache was emptied,
        // so either the emptying came after the store, or this sees the move and takes the entry back.
        if (_notices.Generation != generation) _entries.TryRemove(KeyValuePair.Create(key, entry));
        return value;
    }

    private sealed record Entry(TValue Value, long Until);
}

public static class ChangeNoticesRegistration
{
    /// <summary>The notices, their Marten listener, and the listening service.</summary>
    public static IServiceCollection AddChangeNotices(this IServiceCollection services)
    {
        services.AddSingleton<ChangeNotices>();
        services.AddSingleton<ChangeNoticeListener>();
        services.AddHostedService(sp => sp.GetRequiredService<ChangeNotices>());
        services.ConfigureMarten((sp, opts) => opts.Listeners.Add(sp.GetRequiredService<ChangeNoticeListener>()));
        return services;
    }

    public static IServiceCollection WatchForChanges<T>(this IServiceCollection services) => services.AddSingleton(new WatchedDocument(typeof(T)));
}
