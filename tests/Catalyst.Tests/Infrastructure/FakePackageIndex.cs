using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Catalyst.Tests.Infrastructure;

/// <summary>
/// A Python package index on 127.0.0.1 speaking the "simple" API (PEP 503) to the real pip: <c>GET /simple/&lt;name&gt;/</c>
/// lists the wheels with their sha256, <c>GET /files/&lt;wheel&gt;</c> serves one, built here. Counts downloads per project.
/// </summary>
public sealed partial class FakePackageIndex : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, byte[]>> _projects = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _downloads = new(StringComparer.Ordinal);
    private LoopbackServer _server = null!;

    /// <summary>The index URL as pip's <c>--index-url</c> takes it.</summary>
    public string Url => _server.Url("simple/");

    public int Downloads(string project) => _downloads.GetValueOrDefault(Normalize(project));

    public static async Task<FakePackageIndex> StartAsync()
    {
        var index = new FakePackageIndex();
        index._server = await LoopbackServer.StartAsync(index.Map);
        return index;
    }

    /// <summary>
    /// Publishes a pure-Python wheel of <paramref name="project"/> whose module holds <paramref name="code"/> and whose
    /// console script <paramref name="program"/> calls its <c>main()</c>.
    /// </summary>
    public void PublishScript(string project, string version, string program, string code)
    {
        var module = project.Replace('-', '_');
        var distInfo = $"{module}-{version}.dist-info";
        var files = new Dictionary<string, string>
        {
            [$"{module}/__init__.py"] = code.ReplaceLineEndings("\n"),
            [$"{distInfo}/METADATA"] = $"Metadata-Version: 2.1\nName: {project}\nVersion: {version}\nSummary: An agent CLI stand-in for Catalyst's tests\n",
            [$"{distInfo}/WHEEL"] = "Wheel-Version: 1.0\nGenerator: catalyst-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
            [$"{distInfo}/entry_points.txt"] = $"[console_scripts]\n{program} = {module}:main\n",
        };
        var record = new StringBuilder();
        foreach (var (path, content) in files)
        {
            var bytes = Encoding.UTF8.GetBytes(content);
            var hash = Convert.ToBase64String(SHA256.HashData(bytes)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
            record.Append($"{path},sha256={hash},{bytes.Length}\n");
        }
        record.Append($"{distInfo}/RECORD,,\n");
        files[$"{distInfo}/RECORD"] = record.ToString();

        using var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (path, content) in files)
            {
                using var stream = zip.CreateEntry(path).Open();
                stream.Write(Encoding.UTF8.GetBytes(content));
            }
        _projects.GetOrAdd(Normalize(project), _ => new(StringComparer.Ordinal))[$"{module}-{version}-py3-none-any.whl"] = output.ToArray();
    }

    private void Map(WebApplication app)
    {
        app.MapGet("/simple/{project}/", (string project) =>
        {
            if (!_projects.TryGetValue(Normalize(project), out var wheels)) return Results.NotFound();
            var links = string.Concat(wheels.Select(w =>
                $"<a href=\"{_server.Url("files/" + w.Key)}#sha256={Convert.ToHexStringLower(SHA256.HashData(w.Value))}\">{WebUtility.HtmlEncode(w.Key)}</a><br/>\n"));
            return Results.Content($"<!DOCTYPE html>\n<html><body>\n{links}</body></html>\n", "text/html");
        });
        app.MapGet("/files/{file}", (string file) =>
        {
            foreach (var (project, wheels) in _projects)
                if (wheels.TryGetValue(file, out var wheel))
                {
                    _downloads.AddOrUpdate(project, 1, (_, n) => n + 1);
                    return Results.Bytes(wheel, "application/octet-stream");
                }
            return Results.NotFound();
        });
    }

    /// <summary>PEP 503's normalized name.</summary>
    private static string Normalize(string project) => Separators().Replace(project, "-").ToLowerInvariant();

    [GeneratedRegex("[-_.]+")]
    private static partial Regex Separators();

    public async ValueTask DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }
}
