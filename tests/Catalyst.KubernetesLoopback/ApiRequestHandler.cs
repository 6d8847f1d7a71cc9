using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Catalyst.KubernetesLoopback;

/// <summary>One HTTP request: discovery, or a verb on a resource path, answered the way kube-apiserver answers it.</summary>
internal sealed class ApiRequestHandler(LoopbackApiServer server, HttpContext context)
{
    private ObjectStore Store => server.Store;
    private HttpRequest Request => context.Request;
    private IQueryCollection Query => context.Request.Query;

    public async Task HandleAsync()
    {
        var path = Request.Path.Value ?? "/";
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        switch (segments)
        {
            case ["version"]:
                await Json(200, new JsonObject
                {
                    ["major"] = "1", ["minor"] = "32", ["gitVersion"] = "v1.32.0-loopback", ["gitCommit"] = "loopback",
                    ["gitTreeState"] = "clean", ["buildDate"] = "2026-11-29T00:00:00Z", ["goVersion"] = "go1.23",
                    ["compiler"] = "gc", ["platform"] = "linux/amd64",
                });
                return;
            case ["api"]:
                await Json(200, new JsonObject
                {
                    ["kind"] = "APIVersions", ["versions"] = new JsonArray("v1"),
                    ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = Request.Host.Value }),
                });
                return;
            case ["api", "v1"]:
                await Json(200, Store.Catalog.ResourceList("v1"));
                return;
            case ["apis"]:
                await Json(200, Store.Catalog.GroupList());
                return;
            case ["apis", var group]:
                if (!Store.Catalog.Groups.Contains(group)) throw ApiError.UnknownResource(path);
                await Json(200, Store.Catalog.Group(group));
                return;
            case ["apis", var group, var version]:
                if (Store.Catalog.All.All(t => t.GroupVersion != $"{group}/{version}")) throw ApiError.UnknownResource(path);
                await Json(200, Store.Catalog.ResourceList($"{group}/{version}"));
                return;
            case ["openapi", "v3"]:
                await Json(200, Store.Catalog.OpenApiRoot());
                return;
            case ["openapi", "v3", .. var groupVersionPath]:
                await Json(200, Store.Catalog.OpenApiDocument(string.Join('/', groupVersionPath)) ?? throw ApiError.UnknownResource(path));
                return;
            case ["api", "v1", .. var rest] when rest.Length > 0:
                await ResourceAsync("v1", rest);
                return;
            case ["apis", var group, var version, .. var rest] when rest.Length > 0:
                await ResourceAsync($"{group}/{version}", rest);
                return;
            default:
                throw ApiError.UnknownResource(path);
        }
    }

    private async Task ResourceAsync(string groupVersion, string[] rest)
    {
        ResourceType? type;
        string? ns = null;
        string? name = null;
        string? subresource = null;
        if (rest is ["namespaces", var inNamespace, var plural, ..] && Store.Catalog.Find(groupVersion, plural) is { Namespaced: true } namespaced)
        {
            type = namespaced;
            ns = inNamespace;
            name = rest.Length > 3 ? rest[3] : null;
            subresource = rest.Length > 4 ? rest[4] : null;
            if (rest.Length > 5) throw ApiError.UnknownResource(Request.Path);
        }
        else
        {
            type = Store.Catalog.Find(groupVersion, rest[0]) ?? throw ApiError.UnknownResource(Request.Path);
            name = rest.Length > 1 ? rest[1] : null;
            subresource = rest.Length > 2 ? rest[2] : null;
            if (rest.Length > 3 || (type.Namespaced && name is not null)) throw ApiError.UnknownResource(Request.Path);
        }
        if (subresource is not null && !(subresource == "status" && type.HasStatus) && !(subresource == "log" && type.Key == ResourceCatalog.Pods.Key))
            throw ApiError.UnknownResource(Request.Path);

        if (Request.Method is "POST" or "PUT" or "PATCH" or "DELETE" && Query.ContainsKey("dryRun"))
            throw ApiError.BadRequest("dryRun is not supported by the loopback API server");
        switch (Request.Method)
        {
            case "GET" when name is null && IsTrue("watch"):
                await WatchAsync(type, ns);
                break;
            case "GET" when name is null:
                await ListAsync(type, ns);
                break;
            case "GET" when subresource == "log":
                await server.Kubelet.ServeLogAsync(context, ns!, name!);
                break;
            case "GET":
                await Json(200, Store.GetOrThrow(type, ns, name!));
                break;
            case "POST" when name is null:
                await Json(201, Store.Create(type, ns, await BodyAsync() ?? throw ApiError.BadRequest("the request has no body")));
                break;
            case "PUT" when name is not null && subresource != "log":
                TakeConflict(type, name);
                await Json(200, Store.Replace(type, ns, name, await BodyAsync() ?? throw ApiError.BadRequest("the request has no body"), subresource == "status"));
                break;
            case "PATCH" when name is not null && subresource != "log":
                TakeConflict(type, name);
                await Json(200, await PatchAsync(type, ns, name, subresource == "status"));
                break;
            case "DELETE" when name is not null && subresource is null:
                var (policy, grace) = await DeleteOptionsAsync();
                await Json(200, Store.Delete(type, ns, name, policy, grace));
                break;
            case "DELETE" when name is null:
                await DeleteCollectionAsync(type, ns);
                break;
            default:
                throw ApiError.MethodNotAllowed();
        }
    }

    private void TakeConflict(ResourceType type, string name)
    {
        if (server.Faults.TakeConflict(type.Plural)) throw ApiError.Conflict(type, name);
    }

    private async Task ListAsync(ResourceType type, string? ns)
    {
        var (items, version) = Store.List(type, ns, LabelSelector.Parse(Query["labelSelector"]), FieldSelector.Parse(Query["fieldSelector"]));
        await Json(200, new JsonObject
        {
            ["kind"] = $"{type.Kind}List",
            ["apiVersion"] = type.ApiVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = version.ToString() },
            ["items"] = new JsonArray(items.Select(i => (JsonNode)i).ToArray()),
        });
    }

    private async Task DeleteCollectionAsync(ResourceType type, string? ns)
    {
        var (policy, grace) = await DeleteOptionsAsync();
        var (items, version) = Store.List(type, ns, LabelSelector.Parse(Query["labelSelector"]), FieldSelector.Parse(Query["fieldSelector"]));
        var deleted = new JsonArray();
        foreach (var item in items)
        {
            try { deleted.Add(Store.Delete(type, ns, (string)item["metadata"]!["name"]!, policy, grace)); }
            catch (ApiError e) when (e.Code == 404) { }
        }
        await Json(200, new JsonObject
        {
            ["kind"] = $"{type.Kind}List", ["apiVersion"] = type.ApiVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = version.ToString() }, ["items"] = deleted,
        });
    }

    private async Task<JsonObject> PatchAsync(ResourceType type, string? ns, string name, bool status)
    {
        var contentType = (Request.ContentType ?? "").Split(';')[0].Trim();
        var patch = await BodyNodeAsync() ?? throw ApiError.BadRequest("the request has no body");
        Func<JsonObject, JsonObject> apply = contentType switch
        {
            "application/merge-patch+json" => current => (JsonObject)Patches.MergePatch(current, patch)!,
            "application/strategic-merge-patch+json" when !type.IsCustom => current => (JsonObject)Patches.MergePatch(current, patch)!,
            "application/json-patch+json" when patch is JsonArray operations => current => (JsonObject)Patches.JsonPatch(current, operations),
            "application/json-patch+json" => throw ApiError.BadRequest("a json patch must be an array of operations"),
            _ => throw ApiError.UnsupportedMediaType(contentType),
        };
        return Store.Patch(type, ns, name, apply, status);
    }

    private async Task<(string? PropagationPolicy, int? GracePeriodSeconds)> DeleteOptionsAsync()
    {
        var options = await BodyAsync();
        int? grace = int.TryParse(Query["gracePeriodSeconds"], out var fromQuery) ? fromQuery
            : options?["gracePeriodSeconds"] is { } fromBody ? int.Parse(fromBody.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture) : null;
        if (Query["propagationPolicy"] is { Count: > 0 } policy) return (policy.ToString(), grace);
        if ((string?)options?["propagationPolicy"] is { } bodyPolicy) return (bodyPolicy, grace);
        if (options?["orphanDependents"]?.GetValue<bool>() is { } orphan) return (orphan ? "Orphan" : "Background", grace);
        return (null, grace);
    }

    private async Task WatchAsync(ResourceType type, string? ns)
    {
        var bookmarks = IsTrue("allowWatchBookmarks");
        var timeout = int.TryParse(Query["timeoutSeconds"], out var seconds) && seconds > 0 ? TimeSpan.FromSeconds(seconds) : Timeout.InfiniteTimeSpan;
        var response = context.Response;
        if (server.Faults.TakeExpiredWatch())
        {
            await StartStreamAsync();
            await WriteLineAsync("ERROR", ApiError.Expired(0, Store.OldestResumableVersion));
            return;
        }
        var (subscription, first, _) = Store.Watch(type, ns, LabelSelector.Parse(Query["labelSelector"]), FieldSelector.Parse(Query["fieldSelector"]),
            Query["resourceVersion"].ToString(), external: true);
        await StartStreamAsync();
        if (subscription is null)
        {
            long.TryParse(Query["resourceVersion"], out var requested);
            await WriteLineAsync("ERROR", ApiError.Expired(requested, Store.OldestResumableVersion));
            return;
        }
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, subscription.Dropped.Token);
        if (timeout != Timeout.InfiniteTimeSpan) ended.CancelAfter(timeout);
        try
        {
            foreach (var change in first) await WriteLineAsync(change.Type, change.Object);
            if (bookmarks) Store.Bookmark(subscription, type);
            var reader = subscription.Events.Reader;
            while (!ended.IsCancellationRequested)
            {
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(ended.Token);
                idle.CancelAfter(server.Options.BookmarkInterval);
                try
                {
                    if (!await reader.WaitToReadAsync(idle.Token)) break;
                }
                catch (OperationCanceledException) when (!ended.IsCancellationRequested)
                {
                    if (bookmarks) Store.Bookmark(subscription, type);
                    continue;
                }
                while (reader.TryRead(out var change)) await WriteLineAsync(change.Type, change.Object);
            }
        }
        catch (OperationCanceledException) when (ended.IsCancellationRequested)
        {
        }
        catch (IOException)
        {
        }
        finally
        {
            Store.Unsubscribe(subscription);
        }

        async Task StartStreamAsync()
        {
            response.StatusCode = 200;
            response.ContentType = "application/json";
            ((Action<int>)context.Items["log"]!)(200);
            await response.StartAsync(context.RequestAborted);
            await response.Body.FlushAsync(context.RequestAborted);
        }
    }

    private async Task WriteLineAsync(string type, JsonObject obj)
    {
        var line = new JsonObject { ["type"] = type, ["object"] = obj }.ToJsonString() + "\n";
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(line), context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    private bool IsTrue(string name) => Query[name].ToString() is "true" or "1" or "True";

    private async Task<JsonNode?> BodyNodeAsync()
    {
        using var reader = new StreamReader(Request.Body, Encoding.UTF8);
        var text = await reader.ReadToEndAsync(context.RequestAborted);
        if (string.IsNullOrWhiteSpace(text)) return null;
        try { return JsonNode.Parse(text); }
        catch (JsonException e) { throw ApiError.BadRequest($"the request body is not JSON: {e.Message}"); }
    }

    private async Task<JsonObject?> BodyAsync() =>
        await BodyNodeAsync() switch
        {
            null => null,
            JsonObject obj => obj,
            _ => throw ApiError.BadRequest("the request body must be a JSON object"),
        };

    private Task Json(int status, JsonNode body) => LoopbackApiServer.WriteJsonAsync(context, status, body);
}
