using System.Text;
using Catalyst.Contracts;
using Catalyst.Credentials.Encryption;
using Marten;

namespace Catalyst.Credentials;

/// <summary>A project's secret for an outside service, sealed like an agent credential and bound to its project and name.</summary>
public sealed record ProjectSecret
{
    public required string Id { get; init; }
    public Guid ProjectId { get; init; }
    public required string Name { get; init; }
    public required EncryptedSecret Secret { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    public static string IdOf(Guid projectId, string name) => $"{projectId:N}/{name}";

    public byte[] AssociatedData() => AssociatedData(ProjectId, Name);

    public static byte[] AssociatedData(Guid projectId, string name) =>
        Encoding.UTF8.GetBytes($"catalyst/project-secret/v1:{projectId:N}:{name}");
}

public static class ProjectSecretsHandler
{
    public static string? Handle(StoreProjectSecret command, IDocumentSession session, CredentialKeyRing keys, TimeProvider clock)
    {
        var id = ProjectSecret.IdOf(command.ProjectId, command.Name);
        if (string.IsNullOrEmpty(command.Value))
        {
            session.Delete<ProjectSecret>(id);
            return null;
        }
        session.Store(new ProjectSecret
        {
            Id = id,
            ProjectId = command.ProjectId,
            Name = command.Name,
            Secret = keys.Encrypt(command.Value, ProjectSecret.AssociatedData(command.ProjectId, command.Name)),
            UpdatedAt = clock.GetUtcNow(),
        });
        return Mask(command.Value);
    }

    public static async Task<ProjectSecretValue?> Handle(RevealProjectSecret query, IQuerySession session, CredentialKeyRing keys, CancellationToken ct)
    {
        var secret = await session.LoadAsync<ProjectSecret>(ProjectSecret.IdOf(query.ProjectId, query.Name), ct);
        return secret is null ? null : new ProjectSecretValue(keys.Decrypt(secret.Secret, secret.AssociatedData()));
    }

    public static async Task<IReadOnlyList<Guid>> Handle(ListProjectSecretHolders query, IQuerySession session, CancellationToken ct) =>
        await session.Query<ProjectSecret>().Where(s => s.Name == query.Name).Select(s => s.ProjectId).ToListAsync(ct);

    /// <summary>Enough to recognise which secret is stored, never enough to use it: the last four characters of a long one.</summary>
    public static string Mask(string value) => value.Trim() switch
    {
        { Length: >= 24 } v when v.StartsWith("-----BEGIN") => "a PEM private key",
        { Length: >= 16 } v => $"…{v[^4..]}",
        _ => "set",
    };
}
