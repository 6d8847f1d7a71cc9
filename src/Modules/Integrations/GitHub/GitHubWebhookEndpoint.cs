using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Catalyst.Contracts;
using Catalyst.Integrations.Projects;
using Marten;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Wolverine;

namespace Catalyst.Integrations.GitHub;

/// <summary>
/// <c>POST /webhooks/github</c>: checks the signature before reading anything, records the delivery once, and hands the
/// work to a durable queue so that GitHub gets its answer within its 10 seconds.
/// </summary>
public static class GitHubWebhookEndpoint
{
    public const int MaxPayloadBytes = 5 * 1024 * 1024;
    private static readonly string[] Handled = ["issue_comment", "pull_request_review_comment", "pull_request_review", "issues"];

    public static async Task<IResult> Post(HttpRequest request, IMessageBus bus, GitHubOptions options, ILoggerFactory loggers, CancellationToken ct)
    {
        var eventName = request.Headers["X-GitHub-Event"].ToString();
        try
        {
            var (result, outcome) = await Receive(request, eventName, bus, options, loggers, ct);
            WebhookMetrics.Count("github", eventName, outcome);
            return result;
        }
        catch (Exception) when (!ct.IsCancellationRequested)
        {
            WebhookMetrics.Count("github", eventName, "failed");
            throw;
        }
    }

    private static async Task<(IResult, string Outcome)> Receive(HttpRequest request, string eventName, IMessageBus bus, GitHubOptions options,
        ILoggerFactory loggers, CancellationToken ct)
    {
        var logger = loggers.CreateLogger("Catalyst.Integrations.GitHub.Webhook");
        if (request.ContentLength is > MaxPayloadBytes) return (Results.Problem(statusCode: 413, title: "Payload too large"), "too_large");
        var body = await ReadBody(request, ct);
        if (body is null) return (Results.Problem(statusCode: 413, title: "Payload too large"), "too_large");

        var signature = request.Headers["X-Hub-Signature-256"].ToString();
        var secrets = await Secrets(bus, options, ct);
        var signedFor = secrets.Where(s => SignatureMatches(body, signature, s.Secret)).ToList();
        if (signedFor.Count == 0)
        {
            logger.LogWarning("A GitHub webhook delivery was refused: {Reason}", signature.Length == 0 ? "no signature" : "bad signature");
            return (Results.Problem(statusCode: 401, title: "Bad signature",
                detail: "X-Hub-Signature-256 must be the HMAC-SHA256 of the body with the webhook secret."), "refused");
        }

        var delivery = request.Headers["X-GitHub-Delivery"].ToString();
        if (eventName == "ping") return (Results.Ok(new { ok = true }), "accepted");
        if (!Handled.Contains(eventName)) return (Results.Accepted(value: new { ignored = $"event {eventName}" }), "ignored");
        if (delivery.Length is 0 or > 100) return (Results.Problem(statusCode: 400, title: "X-GitHub-Delivery is missing"), "bad_request");

        GitHubActivity? activity;
        try
        {
            using var json = JsonDocument.Parse(body);
            activity = GitHubActivity.Read(eventName, json.RootElement);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            return (Results.Problem(statusCode: 400, title: "Bad payload", detail: $"The {eventName} payload could not be read."), "bad_request");
        }
        if (activity is null) return (Results.Accepted(value: new { ignored = $"{eventName} without a request for Catalyst" }), "ignored");

        // A delivery signed with one project's own secret may act on that project only.
        var projectIds = signedFor.Any(s => s.ProjectId is null) ? null : signedFor.Select(s => s.ProjectId!.Value).ToList();
        var accepted = await bus.InvokeAsync<bool>(new ReceiveGitHubActivity(delivery, activity, projectIds), ct);
        return accepted ? (Results.Accepted(value: new { delivery }), "accepted") : (Results.Ok(new { delivery, duplicate = true }), "duplicate");
    }

    public static bool SignatureMatches(byte[] body, string header, string secret)
    {
        if (!header.StartsWith("sha256=", StringComparison.Ordinal)) return false;
        byte[] given;
        try { given = Convert.FromHexString(header.AsSpan(7)); }
        catch (FormatException) { return false; }
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body);
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }

    private static async Task<List<(Guid? ProjectId, string Secret)>> Secrets(IMessageBus bus, GitHubOptions options, CancellationToken ct)
    {
        var secrets = new List<(Guid?, string)>();
        if (options.WebhookSecret is { } global) secrets.Add((null, global));
        foreach (var projectId in await bus.InvokeAsync<IReadOnlyList<Guid>>(new ListProjectSecretHolders(GitHubConnection.WebhookSecret), ct))
        {
            if (await bus.InvokeAsync<ProjectSecretValue?>(new RevealProjectSecret(projectId, GitHubConnection.WebhookSecret), ct) is { } value)
                secrets.Add((projectId, value.Value));
        }
        return secrets;
    }

    private static async Task<byte[]?> ReadBody(HttpRequest request, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > MaxPayloadBytes) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}

/// <summary>What a delivery asks of Catalyst: who, where, and the text that may hold the handle.</summary>
public sealed record GitHubActivity(
    string Event, string Repository, int Number, bool IsPullRequest, string Title, string Text, long? CommentId, string CommentKind,
    string SenderLogin, long SenderId, bool SenderIsBot, long? InstallationId, string? Label)
{
    public static GitHubActivity? Read(string eventName, JsonElement root)
    {
        var action = root.GetProperty("action").GetString();
        var repository = root.GetProperty("repository").GetProperty("full_name").GetString()!;
        var sender = root.GetProperty("sender");
        var login = sender.GetProperty("login").GetString()!;
        var senderId = sender.GetProperty("id").GetInt64();
        var bot = sender.TryGetProperty("type", out var type) && type.GetString() == "Bot";
        long? installation = root.TryGetProperty("installation", out var i) && i.ValueKind == JsonValueKind.Object ? i.GetProperty("id").GetInt64() : null;
        switch (eventName, action)
        {
            case ("issue_comment", "created"):
            {
                var issue = root.GetProperty("issue");
                var comment = root.GetProperty("comment");
                return new(eventName, repository, issue.GetProperty("number").GetInt32(),
                    issue.TryGetProperty("pull_request", out var pr) && pr.ValueKind == JsonValueKind.Object,
                    issue.GetProperty("title").GetString() ?? "", comment.GetProperty("body").GetString() ?? "", comment.GetProperty("id").GetInt64(),
                    "issue_comment", login, senderId, bot, installation, null);
            }
            case ("pull_request_review_comment", "created"):
            {
                var pr = root.GetProperty("pull_request");
                var comment = root.GetProperty("comment");
                return new(eventName, repository, pr.GetProperty("number").GetInt32(), true, pr.GetProperty("title").GetString() ?? "",
                    comment.GetProperty("body").GetString() ?? "", comment.GetProperty("id").GetInt64(), "review_comment", login, senderId, bot, installation, null);
            }
            case ("pull_request_review", "submitted"):
            {
                var pr = root.GetProperty("pull_request");
                var review = root.GetProperty("review");
                var text = review.TryGetProperty("body", out var b) && b.ValueKind == JsonValueKind.String ? b.GetString()! : "";
                return new(eventName, repository, pr.GetProperty("number").GetInt32(), true, pr.GetProperty("title").GetString() ?? "",
                    text, null, "review", login, senderId, bot, installation, null);
            }
            case ("issues", "labeled"):
            {
                var issue = root.GetProperty("issue");
                return new(eventName, repository, issue.GetProperty("number").GetInt32(), false, issue.GetProperty("title").GetString() ?? "",
                    issue.TryGetProperty("body", out var b) && b.ValueKind == JsonValueKind.String ? b.GetString()! : "", null, "label",
                    login, senderId, bot, installation, root.GetProperty("label").GetProperty("name").GetString());
            }
            default:
                return null;
        }
    }
}

/// <summary>A delivery that passed the signature check, recorded once per delivery id; its work goes on a durable queue.</summary>
public sealed record ReceiveGitHubActivity(string DeliveryId, GitHubActivity Activity, IReadOnlyList<Guid>? ProjectIds);

/// <summary>A delivery already received: a redelivery (same id) does nothing.</summary>
public sealed record GitHubDelivery
{
    public required string Id { get; init; }
    public required string Event { get; init; }
    public required string Repository { get; init; }
    public DateTimeOffset ReceivedAt { get; init; }
}

/// <summary>The work of one delivery, for one project connected to the repository.</summary>
public sealed record HandleGitHubActivity(string DeliveryId, Guid ProjectId, GitHubActivity Activity);

public static class ReceiveGitHubActivityHandler
{
    public static async Task<(bool, OutgoingMessages)> Handle(ReceiveGitHubActivity command, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        var outgoing = new OutgoingMessages();
        if (await session.LoadAsync<GitHubDelivery>(command.DeliveryId, ct) is not null) return (false, outgoing);
        // Insert, not store: two copies of one delivery arriving together cannot both pass.
        session.Insert(new GitHubDelivery { Id = command.DeliveryId, Event = command.Activity.Event, Repository = command.Activity.Repository, ReceivedAt = clock.GetUtcNow() });
        var repository = command.Activity.Repository;
        var projects = await session.Query<Project>().Where(p => p.GitHubRepository != null).ToListAsync(ct);
        foreach (var project in projects.Where(p => string.Equals(p.GitHubRepository!.Trim(), repository, StringComparison.OrdinalIgnoreCase)
                     && (command.ProjectIds is null || command.ProjectIds.Contains(p.Id))))
        {
            outgoing.Add(new HandleGitHubActivity(command.DeliveryId, project.Id, command.Activity));
        }
        return (true, outgoing);
    }
}
