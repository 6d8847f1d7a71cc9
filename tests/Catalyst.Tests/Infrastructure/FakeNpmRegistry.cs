using System.Collections.Concurrent;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Catalyst.Tests.Infrastructure;

/// <summary>
/// An npm registry on 127.0.0.1, for the real npm client: <c>GET /&lt;package&gt;</c> answers the packument
/// (<c>versions[v].dist.tarball</c>, <c>shasum</c>, <c>integrity</c>), <c>GET /&lt;package&gt;/-/&lt;name&gt;-&lt;v&gt;.tgz</c> the
/// tarball, built here; anything else 404 as the public registry says it. Counts what was asked per package.
/// </summary>
public sealed class FakeNpmRegistry : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Package> _packages = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _requests = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _downloads = new(StringComparer.Ordinal);
    private readonly Guid _run = Guid.NewGuid();
    private LoopbackServer _server = null!;

    /// <summary>The registry URL as npm's <c>--registry</c> takes it.</summary>
    public string Url => _server.Address.ToString();

    /// <summary>How long a tarball takes to come (to make two installs overlap).</summary>
    public TimeSpan TarballDelay { get; set; }

    /// <summary>Requests for the package's packument and tarballs, 404s included.</summary>
    public int Requests(string package) => _requests.GetValueOrDefault(package);

    public int Downloads(string package) => _downloads.GetValueOrDefault(package);

    public static async Task<FakeNpmRegistry> StartAsync()
    {
        var registry = new FakeNpmRegistry();
        registry._server = await LoopbackServer.StartAsync(registry.Map);
        return registry;
    }

    /// <summary>
    /// Publishes <paramref name="name"/>@<paramref name="version"/> with one program, <paramref name="program"/>, a bash
    /// script (<paramref name="script"/>) at <c>bin/agent.sh</c>.
    /// </summary>
    public void PublishScript(string name, string version, string program, string script)
    {
        var manifest = new JsonObject
        {
            ["name"] = name,
            ["version"] = version,
            ["description"] = "An agent CLI stand-in for Catalyst's tests",
            ["license"] = "MIT",
            // Tarballs differ from run to run: npm finds none of them in its own cache (by integrity) and downloads each.
            ["catalystTestRun"] = _run.ToString("N"),
            ["bin"] = new JsonObject { [program] = "bin/agent.sh" },
        };
        var tarball = Tarball(new()
        {
            ["package/package.json"] = (manifest.ToJsonString(), false),
            ["package/bin/agent.sh"] = ("#!/usr/bin/env bash\n" + script.ReplaceLineEndings("\n"), true),
        });
        _packages.GetOrAdd(name, _ => new Package()).Versions[version] = (manifest, tarball);
    }

    private void Map(WebApplication app)
    {
        app.MapGet("/{**path}", async (string path, HttpRequest request, CancellationToken ct) =>
        {
            // Scoped names come as @scope%2fname (or @scope/name).
            path = Uri.UnescapeDataString(path);
            var dash = path.IndexOf("/-/", StringComparison.Ordinal);
            var name = dash < 0 ? path : path[..dash];
            _requests.AddOrUpdate(name, 1, (_, n) => n + 1);
            if (!_packages.TryGetValue(name, out var package)) return NotFound();

            if (dash < 0) return Results.Content(Packument(name, package).ToJsonString(), "application/json");

            var file = path[(dash + 3)..];
            var match = package.Versions.FirstOrDefault(v => file == $"{BaseName(name)}-{v.Key}.tgz");
            if (match.Value.Tarball is null) return NotFound();
            _downloads.AddOrUpdate(name, 1, (_, n) => n + 1);
            if (TarballDelay > TimeSpan.Zero) await Task.Delay(TarballDelay, ct);
            return Results.Bytes(match.Value.Tarball, "application/octet-stream");
        });
    }

    private static IResult NotFound() => Results.Json(new { error = "Not found" }, statusCode: StatusCodes.Status404NotFound);

    private JsonObject Packument(string name, Package package)
    {
        var versions = new JsonObject();
        foreach (var (version, (manifest, tarball)) in package.Versions)
        {
            var entry = (JsonObject)manifest.DeepClone();
            entry["_id"] = $"{name}@{version}";
            entry["dist"] = new JsonObject
            {
                ["tarball"] = $"{Url}{name}/-/{BaseName(name)}-{version}.tgz",
                ["shasum"] = Convert.ToHexStringLower(SHA1.HashData(tarball)),
                ["integrity"] = "sha512-" + Convert.ToBase64String(SHA512.HashData(tarball)),
            };
            versions[version] = entry;
        }
        var latest = package.Versions.Keys.Order(StringComparer.Ordinal).Last();
        return new JsonObject
        {
            ["_id"] = name,
            ["name"] = name,
            ["dist-tags"] = new JsonObject { ["latest"] = latest },
            ["versions"] = versions,
            ["time"] = new JsonObject { ["modified"] = "2026-01-01T00:00:00.000Z", [latest] = "2026-01-01T00:00:00.000Z" },
        };
    }

    private static string BaseName(string name) => name.Contains('/') ? name[(name.IndexOf('/') + 1)..] : name;

    /// <summary>A .tgz as npm packs one: every file under <c>package/</c>.</summary>
    private static byte[] Tarball(Dictionary<string, (string Content, bool Executable)> files)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Ustar, leaveOpen: true))
        {
            foreach (var (path, (content, executable)) in files)
            {
                var entry = new UstarTarEntry(TarEntryType.RegularFile, path)
                {
                    DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
                    Mode = executable ? (UnixFileMode)0b111_101_101 : (UnixFileMode)0b110_100_100,
                    ModificationTime = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
                };
                tar.WriteEntry(entry);
            }
        }
        return output.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }

    private sealed class Package
    {
        public ConcurrentDictionary<string, (JsonObject Manifest, byte[] Tarball)> Versions { get; } = new(StringComparer.Ordinal);
    }
}
