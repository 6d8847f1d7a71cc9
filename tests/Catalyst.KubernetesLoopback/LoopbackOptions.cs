namespace Catalyst.KubernetesLoopback;

/// <summary>How the loopback API server is set up for one test.</summary>
public sealed class LoopbackOptions
{
    /// <summary>How many events a watch can resume across; an older resourceVersion gets 410 Expired.</summary>
    public int WatchHistory { get; set; } = 1000;

    /// <summary>How often an idle watch that asked for bookmarks gets one.</summary>
    public TimeSpan BookmarkInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Whether the kubelet stand-in runs pods as local processes; off leaves every pod Pending.</summary>
    public bool RunPods { get; set; } = true;

    /// <summary>Directories of a container image, mounted the way the image would have them (e.g. runner/ at /runner).</summary>
    public List<ImageMount> Images { get; } = [];

    /// <summary>Where pods get their volumes and working directories; a fresh temporary directory when null.</summary>
    public string? WorkRoot { get; set; }

    /// <summary>Extra environment for every pod process (e.g. PATH for tools the image would carry).</summary>
    public Dictionary<string, string> ProcessEnvironment { get; } = new();
}

/// <summary>
/// What an image carries, for a kubelet that cannot pull images: a host directory that stands for the image's
/// <paramref name="MountPath"/> when a container uses an image matching <paramref name="ImagePattern"/>
/// (exact, or a prefix ending in <c>*</c>, e.g. <c>catalyst/runner:*</c>), and the image's entrypoint for
/// containers that give no command.
/// </summary>
public sealed record ImageMount(string ImagePattern, string HostDirectory, string MountPath, string[]? Entrypoint = null)
{
    public bool Matches(string image) =>
        ImagePattern.EndsWith('*') ? image.StartsWith(ImagePattern[..^1], StringComparison.Ordinal) : image == ImagePattern;
}
