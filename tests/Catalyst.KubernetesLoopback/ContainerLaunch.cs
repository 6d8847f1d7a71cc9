using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Catalyst.KubernetesLoopback;

/// <summary>
/// How the kubelet stand-in turns a pod's container (its one container, or an init container before it) into a local
/// process: environment resolved from values, Secrets and ConfigMaps; volumes as directories under the pod's root (a
/// <c>hostPath</c> as the directory itself; <c>readOnly</c> is not enforced); and, since a process cannot
/// mount, every mountPath (and the directories an image carries, see <see cref="ImageMount"/>) rewritten to
/// its local directory in the command, the arguments, the literal environment values, the working directory and
/// the text files of Secret and ConfigMap volumes.
/// </summary>
internal sealed class ContainerLaunch
{
    public required string FileName { get; init; }
    public required IReadOnlyList<string> Arguments { get; init; }
    public required IReadOnlyDictionary<string, string> Environment { get; init; }
    public required string WorkingDirectory { get; init; }
    public required IReadOnlyList<(string MountPath, string HostPath)> Mounts { get; init; }

    /// <summary>How the container's process is started: under <c>setsid --wait</c>, so that it gets its own process group and a kill reaches everything it started.</summary>
    public System.Diagnostics.ProcessStartInfo StartInfo()
    {
        var start = new System.Diagnostics.ProcessStartInfo("setsid")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = WorkingDirectory,
        };
        start.ArgumentList.Add("--wait");
        start.ArgumentList.Add(FileName);
        foreach (var argument in Arguments) start.ArgumentList.Add(argument);
        start.Environment.Clear();
        foreach (var (key, value) in Environment) start.Environment[key] = value;
        return start;
    }

    /// <summary>A reason the container cannot be created (CreateContainerConfigError and its message), or the launch.</summary>
    /// <param name="container">The container to launch: the pod's first by default, or one of its init containers.</param>
    public static (ContainerLaunch? Launch, string? Reason, string? Message) Prepare(ObjectStore store, LoopbackOptions options, JsonObject pod, string root,
        JsonNode? container = null)
    {
        var ns = (string)pod["metadata"]!["namespace"]!;
        var spec = pod["spec"]!;
        container ??= spec["containers"]![0]!;
        var image = (string?)container["image"] ?? "";

        var volumes = new Dictionary<string, string>();
        var files = new List<(string Path, byte[] Content)>();
        foreach (var volume in spec["volumes"] as JsonArray ?? [])
        {
            var name = (string)volume!["name"]!;
            if (volume["persistentVolumeClaim"] is { } claimVolume)
            {
                // A claim outlives the pod: one directory per claim, beside the pods' own (the namespace's pods share it).
                var claimName = (string)claimVolume["claimName"]!;
                if (store.Get(ResourceCatalog.PersistentVolumeClaims, ns, claimName) is null)
                    return (null, "CreateContainerConfigError", $"persistentvolumeclaim \"{claimName}\" not found");
                volumes[name] = Directory.CreateDirectory(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(root))!, "claims", $"{ns}_{claimName}")).FullName;
                continue;
            }
            if (volume["hostPath"] is { } hostPath)
            {
                // The node's own directory, as it is: made only when the volume says DirectoryOrCreate.
                var path = (string)hostPath["path"]!;
                if ((string?)hostPath["type"] == "DirectoryOrCreate") Directory.CreateDirectory(path);
                if (!Directory.Exists(path)) return (null, "CreateContainerConfigError", $"hostPath type check failed: {path} is not a directory");
                volumes[name] = Path.GetFullPath(path);
                continue;
            }
            var directory = Directory.CreateDirectory(Path.Combine(root, "volumes", name)).FullName;
            volumes[name] = directory;
            if (volume["secret"] is { } secretVolume)
            {
                var secret = store.Get(ResourceCatalog.Secrets, ns, (string)secretVolume["secretName"]!);
                if (secret is null && secretVolume["optional"]?.GetValue<bool>() != true)
                    return (null, "CreateContainerConfigError", $"secret \"{secretVolume["secretName"]}\" not found");
                foreach (var (key, value) in secret?["data"] as JsonObject ?? [])
                    files.Add((Path.Combine(directory, key), Convert.FromBase64String((string)value!)));
            }
            else if (volume["configMap"] is { } configMapVolume)
            {
                var configMap = store.Get(ResourceCatalog.ConfigMaps, ns, (string)configMapVolume["name"]!);
                if (configMap is null && configMapVolume["optional"]?.GetValue<bool>() != true)
                    return (null, "CreateContainerConfigError", $"configmap \"{configMapVolume["name"]}\" not found");
                foreach (var (key, value) in configMap?["data"] as JsonObject ?? [])
                    files.Add((Path.Combine(directory, key), Encoding.UTF8.GetBytes((string?)value ?? "")));
            }
        }

        var mounts = new List<(string MountPath, string HostPath)>();
        foreach (var carried in options.Images.Where(i => i.Matches(image)))
            mounts.Add((carried.MountPath.TrimEnd('/'), Path.GetFullPath(carried.HostDirectory)));
        foreach (var mount in container["volumeMounts"] as JsonArray ?? [])
        {
            var name = (string)mount!["name"]!;
            if (!volumes.TryGetValue(name, out var directory))
                return (null, "CreateContainerConfigError", $"volume \"{name}\" of volumeMount not found in the pod's volumes");
            if ((string?)mount["subPath"] is { Length: > 0 } subPath) directory = Directory.CreateDirectory(Path.Combine(directory, subPath)).FullName;
            mounts.Add((((string)mount["mountPath"]!).TrimEnd('/'), directory));
        }
        mounts.Sort((a, b) => b.MountPath.Length.CompareTo(a.MountPath.Length));
        string Rewrite(string text) => ContainerLaunch.Rewrite(text, mounts);
        // The files of Secret and ConfigMap volumes name the pod's own paths too (an argv file, a CLI's settings): the
        // same rewrite applies to the text ones. Binary content is written as it is.
        var strict = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        foreach (var (path, content) in files)
        {
            string? text;
            try { text = strict.GetString(content); }
            catch (DecoderFallbackException) { text = null; }
            if (text is null) File.WriteAllBytes(path, content);
            else File.WriteAllText(path, Rewrite(text), strict);
        }

        var environment = new Dictionary<string, string>();
        foreach (var source in container["envFrom"] as JsonArray ?? [])
        {
            var prefix = (string?)source!["prefix"] ?? "";
            if (source["secretRef"] is { } secretRef)
            {
                var secret = store.Get(ResourceCatalog.Secrets, ns, (string)secretRef["name"]!);
                if (secret is null && secretRef["optional"]?.GetValue<bool>() != true)
                    return (null, "CreateContainerConfigError", $"secret \"{secretRef["name"]}\" not found");
                foreach (var (key, value) in secret?["data"] as JsonObject ?? [])
                    environment[prefix + key] = Encoding.UTF8.GetString(Convert.FromBase64String((string)value!));
            }
            else if (source["configMapRef"] is { } configMapRef)
            {
                var configMap = store.Get(ResourceCatalog.ConfigMaps, ns, (string)configMapRef["name"]!);
                if (configMap is null && configMapRef["optional"]?.GetValue<bool>() != true)
                    return (null, "CreateContainerConfigError", $"configmap \"{configMapRef["name"]}\" not found");
                foreach (var (key, value) in configMap?["data"] as JsonObject ?? [])
                    environment[prefix + key] = Rewrite((string?)value ?? "");
            }
        }
        foreach (var variable in container["env"] as JsonArray ?? [])
        {
            var name = (string)variable!["name"]!;
            if (variable["valueFrom"] is not { } from)
            {
                environment[name] = Rewrite(Expand((string?)variable["value"] ?? "", environment));
                continue;
            }
            if (from["secretKeyRef"] is { } secretKey)
            {
                var secret = store.Get(ResourceCatalog.Secrets, ns, (string)secretKey["name"]!);
                var optional = secretKey["optional"]?.GetValue<bool>() == true;
                if (secret is null)
                {
                    if (optional) continue;
                    return (null, "CreateContainerConfigError", $"secret \"{secretKey["name"]}\" not found");
                }
                if (secret["data"]?[(string)secretKey["key"]!] is not { } encoded)
                {
                    if (optional) continue;
                    return (null, "CreateContainerConfigError", $"couldn't find key {secretKey["key"]} in Secret {ns}/{secretKey["name"]}");
                }
                environment[name] = Encoding.UTF8.GetString(Convert.FromBase64String((string)encoded!));
            }
            else if (from["configMapKeyRef"] is { } configMapKey)
            {
                var configMap = store.Get(ResourceCatalog.ConfigMaps, ns, (string)configMapKey["name"]!);
                if ((string?)configMap?["data"]?[(string)configMapKey["key"]!] is { } value) environment[name] = Rewrite(value);
                else if (configMapKey["optional"]?.GetValue<bool>() != true)
                    return (null, "CreateContainerConfigError", $"couldn't find key {configMapKey["key"]} in ConfigMap {ns}/{configMapKey["name"]}");
            }
            else if ((string?)from["fieldRef"]?["fieldPath"] is { } fieldPath)
            {
                JsonNode? node = pod;
                foreach (var part in fieldPath.Split('.')) node = node?[part];
                environment[name] = fieldPath == "status.podIP" ? "127.0.0.1" : node?.ToString() ?? "";
            }
        }

        var command = (container["command"] as JsonArray ?? []).Select(c => Rewrite(Expand((string)c!, environment))).ToList();
        var args = (container["args"] as JsonArray ?? []).Select(a => Rewrite(Expand((string)a!, environment))).ToList();
        if (command.Count == 0)
        {
            var entrypoint = options.Images.FirstOrDefault(i => i.Matches(image))?.Entrypoint;
            if (entrypoint is null) return (null, "CreateContainerError", $"the loopback kubelet knows no entrypoint of image \"{image}\": give the container a command");
            command = entrypoint.Select(Rewrite).ToList();
        }

        var workingDirectory = (string?)container["workingDir"] is { Length: > 0 } dir ? Rewrite(dir) : Directory.CreateDirectory(Path.Combine(root, "root")).FullName;
        Directory.CreateDirectory(workingDirectory);
        var processEnvironment = new Dictionary<string, string>
        {
            ["PATH"] = System.Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin",
            ["HOSTNAME"] = (string)pod["metadata"]!["name"]!,
            ["HOME"] = Directory.CreateDirectory(Path.Combine(root, "home")).FullName,
        };
        foreach (var (key, value) in options.ProcessEnvironment) processEnvironment[key] = value;
        foreach (var (key, value) in environment) processEnvironment[key] = value;

        return (new ContainerLaunch
        {
            FileName = command[0],
            Arguments = [.. command.Skip(1), .. args],
            Environment = processEnvironment,
            WorkingDirectory = workingDirectory,
            Mounts = mounts,
        }, null, null);
    }

    /// <summary>
    /// Replaces a mountPath where it stands as a path (alone, or followed by '/'), not inside a longer name. One pass over
    /// the text, longest mount first: a host path put in for one mount is never rewritten again by another (a checkout
    /// under /tmp mapped for an image must not then be taken for the pod's /tmp).
    /// </summary>
    internal static string Rewrite(string text, IReadOnlyList<(string MountPath, string HostPath)> mounts)
    {
        var active = mounts.Where(m => m.MountPath.Length > 0).OrderByDescending(m => m.MountPath.Length).ToList();
        if (active.Count == 0) return text;
        var pattern = $@"(?<![\w.\-/])(?:{string.Join("|", active.Select(m => Regex.Escape(m.MountPath)))})(?=/|$|[^\w.\-])";
        return Regex.Replace(text, pattern, match => active.First(m => m.MountPath == match.Value).HostPath);
    }

    /// <summary>Kubernetes' $(VAR) expansion in command, args and env values; $$(VAR) stays literal.</summary>
    internal static string Expand(string text, IReadOnlyDictionary<string, string> environment) =>
        Regex.Replace(text, @"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.\-]*)\)", m =>
            m.Value == "$$" ? "$" : environment.TryGetValue(m.Groups[1].Value, out var value) ? value : m.Value);
}
