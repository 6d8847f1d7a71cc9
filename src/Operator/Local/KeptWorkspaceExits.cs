using System.Text.Json;
using Catalyst.Contracts;
using Catalyst.Operator.Workspaces;

namespace Catalyst.Operator;

/// <summary>
/// How a local workspace ended, kept on disk until the Tasks module has stored it. The Host writes its record of the end
/// next to the task's directory (which goes before the end is published) and deletes it once the end is stored; the runner
/// keeps its own report in the task's directory (<c>runner/result.json</c>, outside the clone). A Host that stopped in
/// between (killed while the database was down, say) reads the end back when it starts again, so the commits the runner
/// pushed are still captured.
/// </summary>
public static class KeptWorkspaceExits
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The Host's record of how the task's workspace ended: beside the task's directory, in the workspaces directory.</summary>
    public static string RecordPath(LocalWorkspaceOptions options, Guid taskId) => Path.Combine(options.WorkspacesDirectory, $"{taskId}.exit.json");

    /// <summary>The report the runner kept in its own part of the task's directory.</summary>
    public static string RunnerReportPath(string taskDirectory) => Path.Combine(taskDirectory, "runner", "result.json");

    /// <summary>Writes the record (whole, then renamed into place; readable by the Host's user only). False when it could not be written.</summary>
    public static bool Keep(LocalWorkspaceOptions options, WorkspaceExited exit)
    {
        var path = RecordPath(options, exit.TaskId);
        var temporary = path + ".tmp";
        try
        {
            Directory.CreateDirectory(options.WorkspacesDirectory);
            using (var file = OperatingSystem.IsWindows()
                       ? new FileStream(temporary, FileMode.Create, FileAccess.Write)
                       : new FileStream(temporary, new FileStreamOptions
                       {
                           Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                       }))
            {
                JsonSerializer.Serialize(file, exit, Json);
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// How the task's workspace ended, as kept on disk: the Host's record, else the runner's report (the Host stopped before it
    /// read it; the task token is unknown by then, so anything shaped like a task token is redacted). Null when neither is there.
    /// </summary>
    public static WorkspaceExited? Read(LocalWorkspaceOptions options, Guid taskId, DateTimeOffset now)
    {
        try
        {
            var record = RecordPath(options, taskId);
            if (File.Exists(record) && JsonSerializer.Deserialize<WorkspaceExited>(File.ReadAllText(record), Json) is { } kept && kept.TaskId == taskId)
                return kept;
            var report = RunnerReportPath(Path.Combine(options.WorkspacesDirectory, taskId.ToString()));
            return File.Exists(report) ? RunnerProtocol.FromKeptReport(taskId, File.ReadAllText(report), now) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    /// <summary>The end is stored: the Host's record goes (the task's directory, if any is left, goes with <see cref="ReleaseWorkspace"/>).</summary>
    public static void Forget(LocalWorkspaceOptions options, Guid taskId)
    {
        try
        {
            File.Delete(RecordPath(options, taskId));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
