using System.Diagnostics;
using Catalyst.Integrations.Projects;

namespace Catalyst.Integrations.Repositories;

/// <summary>The project form's "Check": can this Host reach the repository (git ls-remote), and if not, why.</summary>
public sealed record CheckRepositoryReach(string RepositoryUrl);

public sealed record RepositoryReach(bool Reachable, string Message);

public static class CheckRepositoryReachHandler
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    public static async Task<RepositoryReach> Handle(CheckRepositoryReach query, LocalRepositoryRoots roots, CancellationToken ct)
    {
        var url = (query.RepositoryUrl ?? "").Trim();
        if (url.Length == 0) return new(false, "Enter the repository's URL or path first.");
        if (url.StartsWith('-') || url.Length > 2000) return new(false, "That is not a repository URL.");
        // A local path outside the allowed directories is not even looked at.
        if (roots.Refusal(url) is { } refusal) return new(false, refusal);

        var start = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "ls-remote", "--heads", "--", url }) start.ArgumentList.Add(a);
        start.Environment["GIT_TERMINAL_PROMPT"] = "0";
        start.Environment["GIT_ASKPASS"] = "true";
        start.Environment["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes -o ConnectTimeout=10";
        using var process = Process.Start(start)!;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Timeout);
        try
        {
            var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var error = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            if (process.ExitCode == 0)
            {
                var branches = (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
                return new(true, branches == 0 ? "Reachable: an empty repository (no branches yet)." : $"Reachable: {branches} branch{(branches == 1 ? "" : "es")}.");
            }
            var said = (await error).Trim().Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
            var reason = said.FirstOrDefault(l => l.StartsWith("fatal:", StringComparison.Ordinal)) ?? said.LastOrDefault() ?? $"git exited with code {process.ExitCode}";
            return new(false, $"Not reachable from this server: {Explain(reason)}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            return new(false, $"Not reachable from this server: no answer within {Timeout.TotalSeconds:0} s.");
        }
    }

    /// <summary>git's words, with what to do about the usual ones.</summary>
    private static string Explain(string reason) => reason switch
    {
        _ when reason.Contains("could not read Username", StringComparison.Ordinal) || reason.Contains("Authentication failed", StringComparison.Ordinal)
            => $"{reason} (the repository needs credentials this server does not have, or it does not exist).",
        _ when reason.Contains("Could not resolve host", StringComparison.Ordinal) => $"{reason} (check the host name, or this server's DNS).",
        _ when reason.Contains("does not appear to be a git repository", StringComparison.Ordinal) || reason.Contains("not found", StringComparison.OrdinalIgnoreCase)
            => $"{reason} (check the URL or path).",
        _ => reason,
    };
}
