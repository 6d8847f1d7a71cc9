using System.Text.Json.Nodes;

namespace Catalyst.KubernetesLoopback;

/// <summary>A refusal the API server answers with a <c>Status</c> body, the way kube-apiserver words it.</summary>
public sealed class ApiError(int code, string reason, string message, JsonObject? details = null) : Exception(message)
{
    public int Code { get; } = code;
    public string Reason { get; } = reason;

    public JsonObject ToStatus() => Status(Code, Reason, Message, details);

    public static JsonObject Status(int code, string reason, string message, JsonObject? details = null)
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = message,
            ["reason"] = reason,
        };
        if (details is not null) status["details"] = details;
        status["code"] = code;
        return status;
    }

    private static JsonObject Details(ResourceType type, string? name)
    {
        var details = new JsonObject();
        if (name is not null) details["name"] = name;
        if (type.Group.Length > 0) details["group"] = type.Group;
        details["kind"] = type.Plural;
        return details;
    }

    public static ApiError NotFound(ResourceType type, string name) =>
        new(404, "NotFound", $"{type.QualifiedPlural} \"{name}\" not found", Details(type, name));

    public static ApiError AlreadyExists(ResourceType type, string name) =>
        new(409, "AlreadyExists", $"{type.QualifiedPlural} \"{name}\" already exists", Details(type, name));

    public static ApiError Conflict(ResourceType type, string name) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {type.QualifiedPlural} \"{name}\": the object has been modified; please apply your changes to the latest version and try again", Details(type, name));

    public static ApiError NamespaceTerminating(ResourceType type, string name, string ns) =>
        new(403, "Forbidden", $"{type.QualifiedPlural} \"{name}\" is forbidden: unable to create new content in namespace {ns} because it is being terminated", Details(type, name));

    public static ApiError Invalid(ResourceType type, string name, string field, string message) =>
        new(422, "Invalid", $"{(type.Group.Length == 0 ? type.Kind : $"{type.Kind}.{type.Group}")} \"{name}\" is invalid: {field}: {message}", Details(type, name));

    public static ApiError BadRequest(string message) => new(400, "BadRequest", message);

    public static ApiError MethodNotAllowed(string message = "the server does not allow this method on the requested resource") =>
        new(405, "MethodNotAllowed", message);

    public static ApiError UnsupportedMediaType(string contentType) =>
        new(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json (got {contentType})");

    public static ApiError UnknownResource(string path) =>
        new(404, "NotFound", "the server could not find the requested resource", new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["reason"] = "UnexpectedServerResponse", ["message"] = $"404 page not found: {path}" }) });

    public static JsonObject Expired(long requested, long oldest) =>
        Status(410, "Expired", $"too old resource version: {requested} ({oldest})");
}
