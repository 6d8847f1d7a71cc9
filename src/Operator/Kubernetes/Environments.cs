using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Catalyst.Operator.Kubernetes.Entities;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Catalyst.Operator.Kubernetes;

/// <summary>Environments on the wire: typed reads, the watch, and writes to the object and to its <c>/status</c>.</summary>
public static class Environments
{
    public static async Task<(IList<V1Alpha1Environment> Items, string ResourceVersion)> ListAsync(IKubernetes client, string? @namespace, CancellationToken cancellationToken)
    {
        var list = @namespace is null
            ? await client.CustomObjects.ListClusterCustomObjectAsync(V1Alpha1Environment.Group, V1Alpha1Environment.Version, V1Alpha1Environment.Plural, cancellationToken: cancellationToken)
            : await client.CustomObjects.ListNamespacedCustomObjectAsync(V1Alpha1Environment.Group, V1Alpha1Environment.Version, @namespace, V1Alpha1Environment.Plural, cancellationToken: cancellationToken);
        var typed = Convert<V1Alpha1EnvironmentList>(list);
        return (typed.Items, typed.Metadata.ResourceVersion ?? "");
    }

    public static async IAsyncEnumerable<(WatchEventType, V1Alpha1Environment)> WatchAsync(IKubernetes client, string? @namespace, string resourceVersion,
        Action<Exception> onError, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var response = @namespace is null
            ? client.CustomObjects.ListClusterCustomObjectWithHttpMessagesAsync(V1Alpha1Environment.Group, V1Alpha1Environment.Version, V1Alpha1Environment.Plural,
                allowWatchBookmarks: true, resourceVersion: resourceVersion, watch: true, timeoutSeconds: 300, cancellationToken: cancellationToken)
            : client.CustomObjects.ListNamespacedCustomObjectWithHttpMessagesAsync(V1Alpha1Environment.Group, V1Alpha1Environment.Version, @namespace, V1Alpha1Environment.Plural,
                allowWatchBookmarks: true, resourceVersion: resourceVersion, watch: true, timeoutSeconds: 300, cancellationToken: cancellationToken);
#pragma warning disable CS0618 // The typed watch over a list call: what the client offers for custom resources.
        await foreach (var change in response.WatchAsync<V1Alpha1Environment, object>(onError, cancellationToken))
#pragma warning restore CS0618
            yield return change;
    }

    public static async Task<V1Alpha1Environment?> ReadAsync(IKubernetes client, string @namespace, string name, CancellationToken cancellationToken)
    {
        try
        {
            return Convert<V1Alpha1Environment>(await client.CustomObjects.GetNamespacedCustomObjectAsync(V1Alpha1Environment.Group, V1Alpha1Environment.Version,
                @namespace, V1Alpha1Environment.Plural, name, cancellationToken));
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public static async Task<V1Alpha1Environment> CreateAsync(IKubernetes client, V1Alpha1Environment environment, CancellationToken cancellationToken) =>
        Convert<V1Alpha1Environment>(await client.CustomObjects.CreateNamespacedCustomObjectAsync(environment, V1Alpha1Environment.Group, V1Alpha1Environment.Version,
            environment.Metadata.NamespaceProperty, V1Alpha1Environment.Plural, cancellationToken: cancellationToken));

    /// <summary>Metadata and spec; refused with 409 when the object changed since it was read.</summary>
    public static async Task<V1Alpha1Environment> ReplaceAsync(IKubernetes client, V1Alpha1Environment environment, CancellationToken cancellationToken) =>
        Convert<V1Alpha1Environment>(await client.CustomObjects.ReplaceNamespacedCustomObjectAsync(environment, V1Alpha1Environment.Group, V1Alpha1Environment.Version,
            environment.Metadata.NamespaceProperty, V1Alpha1Environment.Plural, environment.Metadata.Name, cancellationToken: cancellationToken));

    /// <summary>A JSON merge patch of <c>spec</c> (the Host's stop request).</summary>
    public static Task PatchSpecAsync(IKubernetes client, string @namespace, string name, JsonObject spec, CancellationToken cancellationToken) =>
        client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch(new JsonObject { ["spec"] = spec }.ToJsonString(), V1Patch.PatchType.MergePatch),
            V1Alpha1Environment.Group, V1Alpha1Environment.Version, @namespace, V1Alpha1Environment.Plural, name, cancellationToken: cancellationToken);

    /// <summary>A JSON merge patch of <c>status</c> through the status subresource: only the fields given change.</summary>
    public static Task PatchStatusAsync(IKubernetes client, string @namespace, string name, JsonObject status, CancellationToken cancellationToken) =>
        client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(new V1Patch(new JsonObject { ["status"] = status }.ToJsonString(), V1Patch.PatchType.MergePatch),
            V1Alpha1Environment.Group, V1Alpha1Environment.Version, @namespace, V1Alpha1Environment.Plural, name, cancellationToken: cancellationToken);

    public static Task DeleteAsync(IKubernetes client, string @namespace, string name, CancellationToken cancellationToken) =>
        client.CustomObjects.DeleteNamespacedCustomObjectAsync(V1Alpha1Environment.Group, V1Alpha1Environment.Version, @namespace, V1Alpha1Environment.Plural, name,
            cancellationToken: cancellationToken);

    public static T Convert<T>(object value) => value switch
    {
        T typed => typed,
        JsonElement element => KubernetesJson.Deserialize<T>(element.GetRawText()),
        string json => KubernetesJson.Deserialize<T>(json),
        _ => KubernetesJson.Deserialize<T>(KubernetesJson.Serialize(value)),
    };

    /// <summary>A value as the API server would store it, for comparing and patching.</summary>
    public static JsonNode? ToNode(object? value) => value is null ? null : JsonNode.Parse(KubernetesJson.Serialize(value));

    public static bool IsNotFound(Exception e) => e is HttpOperationException { Response.StatusCode: HttpStatusCode.NotFound };

    public static bool IsConflict(Exception e) => e is HttpOperationException { Response.StatusCode: HttpStatusCode.Conflict };
}
