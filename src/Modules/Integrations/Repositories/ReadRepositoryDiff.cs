using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Catalyst.Contracts;
using Catalyst.Integrations.Projects;
using Marten;
using Microsoft.Extensions.Configuration;

namespace Catalyst.Integrations.Repositories;

/// <summary>
/// Diffs read with git in the Host from the repository Catalyst pushed the work to: a local repository in place, a
/// remote one through a cache of its branches under the data directory (fetched before each read). Nothing is written
/// to the project's repository.
/// </summary>
public static partial class ReadRepositoryDiffHandler
{
    public const int MaxFiles = 300;
    public const int MaxLinesPerFile = 3000;
    private const int MaxOutputBytes = 4 * 1024 * 1024;
    private static readonly TimeSpan GitTimeout = TimeSpan.FromSeconds(30);

    [GeneratedRegex("^[0-9a-f]{7,40}$")]
    private static partial Regex Sha();

    public static async Task<RepositoryDiff> Handle(ReadRepositoryDiff query, IQuerySession session, IConfiguration configuration, CancellationToken ct)
    {
        var project = await session.LoadAsync<Project>(query.ProjectId, ct);
        // A deleted project's tasks keep its repository's address: their changes can be read while the repository exists.
        var repositoryUrl = project?.RepositoryUrl ?? query.RepositoryUrl;
        if (repositoryUrl is null) return new([], "The project is gone.");
        if (!IsRef(query.Head) || query.Base is not null && !IsRef(query.Base)) return new([], "Not a branch or a commit.");

        var repository = LocalRepositoryRoots.LocalPath(repositoryUrl.Trim());
        if (repository is null)
        {
            repository = Path.Combine(CatalystPaths.DataDirectory(configuration), "repository-cache", $"{query.ProjectId:N}.git");
            if (!Directory.Exists(repository))
            {
                Directory.CreateDirectory(repository);
                var init = await GitAsync(repository, ["init", "--quiet", "--bare"], ct);
                if (init.Exit != 0) return new([], $"Could not prepare a cache of the repository: {init.Error}");
            }
            var fetch = await GitAsync(repository, ["fetch", "--quiet", "--prune", "--no-tags", repositoryUrl, "+refs/heads/*:refs/heads/*"], ct);
            if (fetch.Exit != 0) return new([], $"Could not fetch {repositoryUrl}: {fetch.Error}");
        }
        else if (!Directory.Exists(repository)) return new([], $"The repository {repositoryUrl} is not there any more.");

        string[] args = query.Base is { } @base
            ? ["diff", "--no-color", "--no-ext-diff", "-M", $"{Qualify(@base)}...{Qualify(query.Head)}", "--"]
            : ["show", "--no-color", "--no-ext-diff", "-M", "--format=", query.Head, "--"];
        var diff = await GitAsync(repository, args, ct);
        if (diff.Exit != 0)
            return new([], query.Base is null ? $"The commit {query.Head} is not in the repository." : $"The branch {query.Head} (or {query.Base}) is not in the repository: {diff.Error}");
        return Parse(diff.Output, diff.Cut);
    }

    private static bool IsRef(string name) => Sha().IsMatch(name) || name.Length is > 0 and < 200 && !name.StartsWith('-') && !name.Contains("..")
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '-' or '_' or '.');

    /// <summary>A branch name as a full ref, so that it cannot be read as anything else; a sha as it is.</summary>
    private static string Qualify(string name) => Sha().IsMatch(name) ? name : $"refs/heads/{name}";

    /// <summary>The pure part: git's unified diff into files with their counts; long files and long diffs cut.</summary>
    public static RepositoryDiff Parse(string text, bool cut = false)
    {
        var files = new List<DiffFile>();
        string path = "", change = "modified";
        string? oldPath = null;
        int plus = 0, minus = 0;
        var binary = false;
        var lines = new List<string>();
        var truncated = false;
        var inFile = false;

        void Close()
        {
            if (!inFile) return;
            if (files.Count < MaxFiles) files.Add(new DiffFile(path, oldPath, change, plus, minus, binary, lines.ToList(), truncated));
            else cut = true;
        }

        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith("diff --git ", StringComparison.Ordinal))
            {
                Close();
                inFile = true;
                (plus, minus, binary, truncated, change, oldPath) = (0, 0, false, false, "modified", null);
                lines.Clear();
                var names = line["diff --git ".Length..];
                var split = names.IndexOf(" b/", StringComparison.Ordinal);
                path = split > 0 ? names[(split + 3)..] : names;
                continue;
            }
            if (!inFile) continue;
            if (lines.Count == 0 && !line.StartsWith("@@", StringComparison.Ordinal))
            {
                // The header lines before the first hunk.
                if (line.StartsWith("new file", StringComparison.Ordinal)) change = "added";
                else if (line.StartsWith("deleted file", StringComparison.Ordinal)) change = "deleted";
                else if (line.StartsWith("rename from ", StringComparison.Ordinal)) { change = "renamed"; oldPath = line["rename from ".Length..]; }
                else if (line.StartsWith("rename to ", StringComparison.Ordinal)) path = line["rename to ".Length..];
                else if (line.StartsWith("Binary files", StringComparison.Ordinal)) binary = true;
                continue;
            }
            if (line.Length == 0) continue;
            var kind = line[0];
            if (kind == '+') plus++;
            else if (kind == '-') minus++;
            else if (kind != ' ' && kind != '@' && kind != '\\') continue;
            if (lines.Count < MaxLinesPerFile) lines.Add(kind == '@' ? "@" + line : line);
            else truncated = true;
        }
        Close();
        return new RepositoryDiff(files, null, cut);
    }

    private sealed record GitResult(int Exit, string Output, string Error, bool Cut);

    private static async Task<GitResult> GitAsync(string repository, IReadOnlyList<string> args, CancellationToken ct)
    {
        var start = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, StandardOutputEncoding = new UTF8Encoding(false) };
        start.ArgumentList.Add("-C");
        start.ArgumentList.Add(repository);
        foreach (var a in args) start.ArgumentList.Add(a);
        // Never ask anyone for a password, never read the Host user's git settings for credentials.
        start.Environment["GIT_TERMINAL_PROMPT"] = "0";
        start.Environment["GIT_ASKPASS"] = "true";
        start.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        using var process = Process.Start(start)!;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(GitTimeout);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        var output = new StringBuilder();
        var buffer = new char[16 * 1024];
        var cut = false;
        try
        {
            int read;
            while ((read = await process.StandardOutput.ReadAsync(buffer, timeout.Token)) > 0)
            {
                if (output.Length + read > MaxOutputBytes) { cut = true; break; }
                output.Append(buffer, 0, read);
            }
            if (cut) process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            return new GitResult(-1, "", "git took longer than 30 s.", false);
        }
        var stderr = (await error).Trim();
        return new GitResult(cut ? 0 : process.ExitCode, output.ToString(), stderr.Length > 300 ? stderr[..300] + "…" : stderr, cut);
    }
}
