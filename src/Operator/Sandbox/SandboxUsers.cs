namespace Catalyst.Operator.Sandbox;

/// <summary>
/// The users workspaces run as when the Host is root: one per running workspace, from <c>base</c> upwards, so that no
/// two running agents share a user (files, signals and the process limit are each workspace's own). A user with no
/// account: the sandbox's /etc/passwd names it.
/// </summary>
public sealed class SandboxUsers(int first)
{
    private readonly SortedSet<int> _taken = [];
    private readonly Lock _gate = new();

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, SandboxUsers> ByBase = new();

    /// <summary>One allocator per first user id in this process: workspaces of every runner share it.</summary>
    public static SandboxUsers For(int first) => ByBase.GetOrAdd(first, f => new SandboxUsers(f));

    public int Rent()
    {
        lock (_gate)
        {
            var uid = first;
            while (_taken.Contains(uid)) uid++;
            _taken.Add(uid);
            return uid;
        }
    }

    public void Return(int uid)
    {
        lock (_gate) _taken.Remove(uid);
    }
}
