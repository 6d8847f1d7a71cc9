using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Catalyst.Contracts;
using Catalyst.Operator.Workspaces;
using Microsoft.Extensions.Logging;

namespace Catalyst.Operator.Local;

/// <summary>
/// Fetches a waiting task's repository cache ahead of its start (<see cref="PrepareWorkspace"/>), with the runner's own
/// script (<c>runner/repository-cache.sh</c>, under the cache's lock), so that once the task has a slot its runner's fetch
/// finds nothing left to bring. In the background: the scheduler's pass never waits on an origin. One fetch per cache at a
/// time, none again within <see cref="Quiet"/> of the last, <see cref="AtOnce"/> at most; a cache a task's runner is
/// fetching already is left to it. What happened is said on the waiting task, its origin's password taken out.
/// </summary>
public sealed partial class RepositoryCacheWarmer(LocalWorkspaceOptions options, ILogger<RepositoryCacheWarmer> logger, TimeProvider time) : IDisposable
{
    public static readonly TimeSpan Quiet = TimeSpan.FromSeconds(10);
    public const int AtOnce = 2;
    private static readonly TimeSpan Longest = TimeSpan.FromMinutes(10);

    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastStarted = new();
    private readonly SemaphoreSlim _slots = new(AtOnce, AtOnce);
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>The fetches started and not yet ended (for a test to wait on, and for shutdown).</summary>
    private readonly ConcurrentDictionary<Task, byte> _running = new();

    /// <summary>
    /// Starts fetching the cache of <paramref name="request"/>'s repository unless the backend keeps no cache, the cache was
    /// fetched (or is being fetched from here) in the last <see cref="Quiet"/>, or <see cref="AtOnce"/> fetches run. The
    /// lines to say on the task go to <paramref name="say"/> once the fetch has ended. False when nothing was started.
    /// </summary>
    public bool Prepare(PrepareWorkspace request, Func<AgentOutput, Task> say)
    {
        if (options.RepositoryCacheDirectory is not { } directory || options.RunnerDirectory is not { } runner || _stopping.IsCancellationRequested) return false;
        var cache = RepositoryCache.PathFor(directory, LocalWorkspaceRunner.RepositoryUrl(request.RepositoryUrl));
        var now = time.GetUtcNow();
        if (_lastStarted.TryGetValue(cache, out var last) && now - last < Quiet) return false;
        if (!_slots.Wait(0)) return false;
        _lastStarted[cache] = now;
        var fetch = FetchAsync(request, cache, Path.Combine(runner, "repository-cache.sh"), say);
        _running.TryAdd(fetch, 0);
        _ = fetch.ContinueWith(t => _running.TryRemove(t, out _), TaskScheduler.Default);
        return true;
    }

    /// <summary>Waits for the fetches under way (a test's, or the shutdown's).</summary>
    public Task IdleAsync() => Task.WhenAll(_running.Keys);

    private async Task FetchAsync(PrepareWorkspace request, string cache, string script, Func<AgentOutput, Task> say)
    {
        var lines = new List<OutputLine>();
        try
        {
            var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
            start.ArgumentList.Add(script);
            start.Environment["CATALYST_REPOSITORY_URL"] = LocalWorkspaceRunner.RepositoryUrl(request.RepositoryUrl);
            start.Environment["CATALYST_REPOSITORY_CACHE"] = cache;
            using var process = Process.Start(start) ?? throw new InvalidOperationException("bash did not start");
            process.StandardInput.Close();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            timeout.CancelAfter(Longest);
            try
            {
                while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
                    if (Said(line) is { } text) lines.Add(new OutputLine(time.GetUtcNow(), OutputStream.System, text));
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                lines.Add(new OutputLine(time.GetUtcNow(), OutputStream.System, "While waiting for a slot: the repository cache was not fetched (stopped); the task fetches when it starts."));
            }
            if (process.HasExited && process.ExitCode != 0 && lines.Count == 0)
                logger.LogWarning("Fetching the repository cache {Cache} for waiting task {TaskId} failed: {Error}", cache, request.TaskId, WithoutPassword((await stderr).Trim()));
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            logger.LogWarning(e, "The repository cache {Cache} could not be fetched for waiting task {TaskId}", cache, request.TaskId);
        }
        finally
        {
            _slots.Release();
        }
        if (lines.Count == 0) return;
        try
        {
            await say(new AgentOutput(request.TaskId, lines));
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "What the repository cache's fetch said could not be stored on waiting task {TaskId}", request.TaskId);
        }
    }

    /// <summary>A line of the script as the waiting task shows it: its progress and warnings, said as being ahead of the start.</summary>
    private static string? Said(string line)
    {
        string text;
        if (line.StartsWith(RunnerProtocol.ProgressPrefix, StringComparison.Ordinal)) text = line[RunnerProtocol.ProgressPrefix.Length..];
        else if (line.StartsWith(RunnerProtocol.WarningPrefix, StringComparison.Ordinal))
            // The task has not started: a fetch that failed now only means its own fetch has the whole way to go.
            text = line[RunnerProtocol.WarningPrefix.Length..].Replace("; cloning in full", "; the task fetches when it starts", StringComparison.Ordinal);
        else return null;
        return $"While waiting for a slot: {WithoutPassword(text)}";
    }

    /// <summary>A URL's user:password@ part taken out wherever one shows (git's own messages may name the origin).</summary>
    private static string WithoutPassword(string text) => UserInfo().Replace(text, "${scheme}");

    [GeneratedRegex(@"(?<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)[^/@\s'""]*@")]
    private static partial Regex UserInfo();

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
    }
}
