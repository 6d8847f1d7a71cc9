using Microsoft.Extensions.Logging;

namespace Catalyst.Operator;

/// <summary>The local runner's signals: a stop (SIGTERM, then SIGKILL after the grace), the leftovers of an agent, the directory.</summary>
public sealed partial class LocalWorkspaceRunner
{
    private async Task EnforceStopAsync()
    {
        int pid;
        lock (_gate)
        {
            if (_stopEnforced || _process is null) return;
            _stopEnforced = true;
            pid = ProcessId!.Value;
        }
        _logger.LogInformation("Stopping workspace of task {TaskId}: {Reason}", TaskId, _stop?.Reason);
        WorkspaceProcesses.Signal(pid, _marker, WorkspaceProcesses.SIGTERM);
        var exited = _exited.Task;
        if (await Task.WhenAny(exited, Task.Delay(_options.StopGrace, _time)) == exited) return;
        _logger.LogWarning("Workspace of task {TaskId} did not stop within {Grace}; killing it", TaskId, _options.StopGrace);
        WorkspaceProcesses.Signal(pid, _marker, WorkspaceProcesses.SIGKILL);
    }

    /// <summary>After the runner: whatever the agent left running gets SIGTERM, then SIGKILL a second later.</summary>
    private async Task KillLeftoversAsync()
    {
        if (ProcessId is not { } pid) return;
        if (WorkspaceProcesses.Find(pid, _marker).Count == 0) return;
        WorkspaceProcesses.Signal(pid, _marker, WorkspaceProcesses.SIGTERM);
        var started = _time.GetTimestamp();
        while (_time.GetElapsedTime(started) < TimeSpan.FromSeconds(1))
        {
            if (WorkspaceProcesses.Find(pid, _marker).Count == 0) return;
            await Task.Delay(20, CancellationToken.None);
        }
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var left = WorkspaceProcesses.Find(pid, _marker);
            if (left.Count == 0) return;
            WorkspaceProcesses.KillAll(left);
            await Task.Delay(20, CancellationToken.None);
        }
        _logger.LogWarning("Processes of task {TaskId} survived SIGKILL", TaskId);
    }

    private void RemoveDirectory()
    {
        if (_options.KeepWorkspaces || !System.IO.Directory.Exists(Directory)) return;
        try
        {
            DeleteTree(Directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning(e, "Could not remove the workspace of task {TaskId} at {Directory}", TaskId, Directory);
        }
    }

    /// <summary>Recursive delete that also gets through directories the agent made read-only.</summary>
    internal static void DeleteTree(string path)
    {
        try
        {
            System.IO.Directory.Delete(path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            foreach (var dir in System.IO.Directory.EnumerateDirectories(path, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }).Prepend(path))
                try { if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute); }
                catch (Exception) { /* best effort */ }
            System.IO.Directory.Delete(path, recursive: true);
        }
    }
}
