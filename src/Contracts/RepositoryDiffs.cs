namespace Catalyst.Contracts;

/// <summary>
/// Asked of the Integrations module: what changed in a project's repository between <see cref="Base"/> and <see cref="Head"/>
/// (branches, from their merge base), or in one commit (<see cref="Head"/> a sha, <see cref="Base"/> null). Read-only.
/// </summary>
public sealed record ReadRepositoryDiff(Guid ProjectId, string? Base, string Head)
{
    /// <summary>For a task whose project was deleted: the repository its work was pushed to, as the task kept it.</summary>
    public string? RepositoryUrl { get; init; }
}

/// <summary>A unified diff, file by file; <see cref="Error"/> says why there is none (repository unreachable, branch gone).</summary>
public sealed record RepositoryDiff(IReadOnlyList<DiffFile> Files, string? Error = null, bool Truncated = false)
{
    public int Insertions => Files.Sum(f => f.Insertions);
    public int Deletions => Files.Sum(f => f.Deletions);
}

/// <param name="Lines">Each line with its first character: ' ' context, '+' added, '-' removed, '@' a hunk header, '\' a note.</param>
public sealed record DiffFile(string Path, string? OldPath, string Change, int Insertions, int Deletions, bool Binary, IReadOnlyList<string> Lines, bool Truncated);
