using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Catalyst.Contracts;
using Catalyst.Operator.Kubernetes.Entities;
using Catalyst.Operator.Workspaces;
using k8s;
using k8s.Autorest;
using Microsoft.Extensions.Logging;

namespace Catalyst.Operator.Kubernetes.Controllers;

/// <summary>
/// Follows each running workspace's pod log and publishes, in order, what the local backend publishes:
/// <see cref="WorkspaceProvisioned"/>, <see cref="AgentStarted"/>, <see cref="AgentOutput"/> batches (the runner's
/// <c>::catalyst…</c> lines read by the runner protocol). After each batch the position (the last line's timestamp and
/// how many lines carried it) goes into the Environment's status, so a restarted operator or a dropped stream resumes
/// after the last line delivered: none lost, none repeated.
/// </summary>
public sealed class WorkspaceLogs(IKubernetes client, IWorkspaceEvents events, ILogger<WorkspaceLogs> logger, TimeProvider? time = null)
{
    /// <summary>As the local backend's (<see cref="Workspaces.WorkspaceOutputPump.MaxBatchLines"/>): one stored batch per this many lines at most.</summary>
    public const int MaxBatchLines = Workspaces.WorkspaceOutputPump.MaxBatchLines;
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(20);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ConcurrentDictionary<string, Follower> _followers = new();
    private readonly ConcurrentDictionary<string, bool> _drained = new();
    private readonly ConcurrentDictionary<string, EnvironmentResult> _results = new();
    private CancellationToken _stopping = CancellationToken.None;

    /// <summary>A follower reached the end of its pod's log: the Environment should be looked at again.</summary>
    public event Action<string>? Drained;

    public void Start(CancellationToken stopping) => _stopping = stopping;

    public bool IsFollowing(string key) => _followers.ContainsKey(key);

    public bool IsDrained(string key) => _drained.ContainsKey(key);

    public void MarkDrained(string key) => _drained[key] = true;

    public EnvironmentResult? ResultOf(string key) => _results.TryGetValue(key, out var result) ? result : null;

    public void Follow(TaskWorkspace workspace, string podName, LogPosition? position)
    {
        var key = workspace.Key;
        if (_drained.ContainsKey(key) || _stopping.IsCancellationRequested || _followers.ContainsKey(key)) return;
        var follower = new Follower(CancellationTokenSource.CreateLinkedTokenSource(_stopping));
        // One follower per Environment: a second one would deliver every line twice.
        if (!_followers.TryAdd(key, follower))
        {
            follower.Stop.Dispose();
            return;
        }
        follower.Run = Task.Run(async () =>
        {
            try
            {
                await FollowAsync(workspace, podName, position ?? new LogPosition(), follower.Stop.Token);
            }
            catch (OperationCanceledException) when (follower.Stop.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                logger.LogError(e, "Following the log of environment {Key} failed", key);
            }
            finally
            {
                _followers.TryRemove(KeyValuePair.Create(key, follower));
            }
            if (_drained.ContainsKey(key)) Drained?.Invoke(key);
        }, CancellationToken.None);
    }

    private sealed class Follower(CancellationTokenSource stop)
    {
        public CancellationTokenSource Stop { get; } = stop;
        public Task Run { get; set; } = Task.CompletedTask;
    }

    public void Forget(string key)
    {
        if (_followers.TryRemove(key, out var follower)) follower.Stop.Cancel();
        _drained.TryRemove(key, out _);
        _results.TryRemove(key, out _);
    }

    /// <summary>Ends every follower after the batch it is delivering.</summary>
    public async Task StopAsync()
    {
        var running = _followers.Values.ToArray();
        foreach (var follower in running) follower.Stop.Cancel();
        await Task.WhenAll(running.Select(f => f.Run));
    }

    private async Task FollowAsync(TaskWorkspace workspace, string podName, LogPosition position, CancellationToken ct)
    {
        var environment = workspace.Environment;
        var taskId = Guid.TryParse(environment.Spec.AgentConfig.TaskId, out var id) ? id : Guid.Empty;
        var protocol = new RunnerProtocol(taskId, await ReadTokenAsync(workspace, ct) ?? "");
        var committed = Clone(position);

        if (!committed.ProvisionedSent)
        {
            await events.PublishAsync(new WorkspaceProvisioned(taskId, $"{workspace.Namespace}/{podName}", _time.GetUtcNow()), CancellationToken.None);
            committed.ProvisionedSent = true;
            await SavePositionAsync(workspace, committed, null);
        }

        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            var lines = Channel.CreateBounded<string>(new BoundedChannelOptions(10_000) { SingleReader = true, SingleWriter = true });
            Stream stream;
            try
            {
                var since = ParseTime(committed.LastTimestamp) is { } last
                    ? (int?)Math.Max(1, (int)Math.Ceiling((_time.GetUtcNow() - last).TotalSeconds) + 10)
                    : null;
                stream = await client.CoreV1.ReadNamespacedPodLogAsync(podName, workspace.Namespace, container: TaskWorkspace.ContainerName,
                    follow: true, timestamps: true, sinceSeconds: since, cancellationToken: ct);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                break; // The pod is gone: nothing more will come.
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException && !ct.IsCancellationRequested)
            {
                // 400 while the container has not started yet, or the connection dropped.
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(2000, 200 * ++failures)), _time, ct);
                continue;
            }

            var reading = Task.Run(async () =>
            {
                try
                {
                    using var reader = new StreamReader(stream);
                    while (await reader.ReadLineAsync(ct) is { } line) await lines.Writer.WriteAsync(line, ct);
                    lines.Writer.TryComplete();
                }
                catch (Exception e)
                {
                    lines.Writer.TryComplete(e);
                }
            }, CancellationToken.None);

            var pending = Clone(committed);
            var batch = new List<OutputLine>();
            EnvironmentResult? result = null;

            async Task FlushAsync()
            {
                if (batch.Count > 0)
                {
                    await events.PublishAsync(new AgentOutput(taskId, batch.ToArray()), CancellationToken.None);
                    batch.Clear();
                }
                if (pending.LastTimestamp != committed.LastTimestamp || pending.LinesAtLastTimestamp != committed.LinesAtLastTimestamp
                    || pending.AgentStartedSent != committed.AgentStartedSent || result is not null)
                {
                    await SavePositionAsync(workspace, pending, result);
                    committed = Clone(pending);
                    if (result is not null) _results[workspace.Key] = result;
                    result = null;
                }
            }

            var skipAtLast = committed.LinesAtLastTimestamp;
            var lastTicks = ParseTime(committed.LastTimestamp)?.UtcTicks;
            try
            {
                while (await lines.Reader.WaitToReadAsync(CancellationToken.None))
                {
                    long first = 0;
                    while (true)
                    {
                        while (batch.Count < MaxBatchLines && lines.Reader.TryRead(out var raw))
                        {
                            failures = 0;
                            var space = raw.IndexOf(' ');
                            var stamp = space > 0 ? raw[..space] : raw;
                            var text = space > 0 ? raw[(space + 1)..] : "";
                            var at = ParseTime(stamp);
                            if (at is null) continue;
                            var ticks = at.Value.UtcTicks;
                            // Already delivered before the stream was opened again.
                            if (lastTicks is { } seen && (ticks < seen || ticks == seen && skipAtLast-- > 0)) continue;
                            if (ParseTime(pending.LastTimestamp)?.UtcTicks == ticks) pending.LinesAtLastTimestamp++;
                            else
                            {
                                pending.LastTimestamp = stamp;
                                pending.LinesAtLastTimestamp = 1;
                            }
                            lastTicks = null;
                            if (batch.Count == 0) first = _time.GetTimestamp();

                            // A pod's log is stdout and stderr together: the runner protocol reads it as stdout.
                            var read = protocol.Read(text, OutputStream.Stdout, at.Value);
                            if (text.StartsWith(RunnerProtocol.ResultPrefix, StringComparison.Ordinal))
                            {
                                result = protocol.Result() is { } report ? FromRunnerResult(report) : null;
                                continue;
                            }
                            if (read.Output is { } output) batch.Add(output);
                            if (read.Started is { } agentStarted && !pending.AgentStartedSent)
                            {
                                await FlushAsync();
                                await events.PublishAsync(agentStarted, CancellationToken.None);
                                pending.AgentStartedSent = true;
                                await FlushAsync();
                            }
                            else if (read.AgentExited)
                            {
                                await FlushAsync();
                                await events.PublishAsync(new RevokeTaskToken(taskId), CancellationToken.None);
                            }
                        }
                        if (batch.Count == 0 || batch.Count >= MaxBatchLines) break;
                        var remaining = FlushInterval - _time.GetElapsedTime(first);
                        if (remaining <= TimeSpan.Zero) break;
                        using var wait = new CancellationTokenSource(remaining, _time);
                        try
                        {
                            if (!await lines.Reader.WaitToReadAsync(wait.Token)) break;
                        }
                        catch (OperationCanceledException)
                        {
                            break;
                        }
                    }
                    await FlushAsync();
                }
                await lines.Reader.Completion;
            }
            catch (Exception e) when (e is IOException or HttpRequestException && !ct.IsCancellationRequested)
            {
                logger.LogInformation("The log stream of environment {Key} dropped; resuming", workspace.Key);
            }
            finally
            {
                await FlushAsync();
            }
            await reading;
            if (ct.IsCancellationRequested) return;

            if (await ContainerEndedAsync(workspace, podName, ct)) break;
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(2000, 100 * ++failures)), _time, ct);
        }
        _drained[workspace.Key] = true;
    }

    private async Task<bool> ContainerEndedAsync(TaskWorkspace workspace, string podName, CancellationToken ct)
    {
        try
        {
            var pod = await client.CoreV1.ReadNamespacedPodAsync(podName, workspace.Namespace, cancellationToken: ct);
            return pod.Metadata.DeletionTimestamp is not null && pod.Status?.Phase is not ("Running" or "Pending")
                || pod.Status?.ContainerStatuses?.FirstOrDefault(c => c.Name == TaskWorkspace.ContainerName)?.State?.Terminated is not null;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return true;
        }
    }

    private Task SavePositionAsync(TaskWorkspace workspace, LogPosition position, EnvironmentResult? result)
    {
        var status = new JsonObject { ["log"] = Environments.ToNode(position) };
        if (result is not null) status["result"] = Environments.ToNode(result);
        return Environments.PatchStatusAsync(client, workspace.Environment.Metadata.NamespaceProperty, workspace.Environment.Metadata.Name, status, CancellationToken.None);
    }

    private async Task<string?> ReadTokenAsync(TaskWorkspace workspace, CancellationToken ct)
    {
        try
        {
            var secret = await client.CoreV1.ReadNamespacedSecretAsync(workspace.Environment.Spec.AgentConfig.CredentialSecretRef.Name,
                workspace.Environment.Metadata.NamespaceProperty, cancellationToken: ct);
            return secret.Data?.TryGetValue("token", out var bytes) == true ? System.Text.Encoding.UTF8.GetString(bytes) : null;
        }
        catch (HttpOperationException)
        {
            return null;
        }
    }

    private static LogPosition Clone(LogPosition position) => new()
    {
        LastTimestamp = position.LastTimestamp,
        LinesAtLastTimestamp = position.LinesAtLastTimestamp,
        ProvisionedSent = position.ProvisionedSent,
        AgentStartedSent = position.AgentStartedSent,
        ExitedSent = position.ExitedSent,
    };

    internal static DateTimeOffset? ParseTime(string? stamp) =>
        stamp is { Length: > 0 } && DateTimeOffset.TryParse(stamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
            ? at
            : null;

    public static EnvironmentResult FromRunnerResult(RunnerResult result) => new()
    {
        Branch = result.Branch,
        BaseSha = result.BaseSha,
        Pushed = result.Pushed,
        PushError = result.PushError,
        Commits = result.Commits.Select(c => new EnvironmentCommit { Sha = c.Sha, Message = c.Message, FilesChanged = c.FilesChanged, Insertions = c.Insertions, Deletions = c.Deletions }).ToList(),
        PreHookFailure = result.PreHookFailure is { } pre ? new EnvironmentHookFailure { Number = pre.Number, Command = pre.Command, ExitCode = pre.ExitCode, Output = pre.Output } : null,
        PostHookFailure = result.PostHookFailure is { } post ? new EnvironmentHookFailure { Number = post.Number, Command = post.Command, ExitCode = post.ExitCode, Output = post.Output } : null,
    };

    public static RunnerResult ToRunnerResult(EnvironmentResult result) =>
        new(result.Branch, result.BaseSha, result.Commits.Select(c => new CommitInfo(c.Sha, c.Message, c.FilesChanged, c.Insertions, c.Deletions)).ToArray(),
            result.Pushed, result.PushError)
        {
            PreHookFailure = result.PreHookFailure is { } pre ? new HookFailure(HookPhase.Pre, pre.Number, pre.Command, pre.ExitCode, pre.Output) : null,
            PostHookFailure = result.PostHookFailure is { } post ? new HookFailure(HookPhase.Post, post.Number, post.Command, post.ExitCode, post.Output) : null,
        };
}
