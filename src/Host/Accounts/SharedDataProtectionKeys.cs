using System.Text;
using System.Xml.Linq;
using Catalyst.Credentials.Encryption;
using Marten;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Options;

namespace Catalyst.Host.Accounts;

/// <summary>One ASP.NET data-protection key (its XML), sealed with the master key that seals credentials.</summary>
public sealed record DataProtectionKey(string Id, EncryptedSecret Sealed, DateTimeOffset StoredAt);

/// <summary>
/// The keys that protect session and antiforgery cookies, kept in the database so that every Host of one database reads the
/// same ring: a cookie one node issued is accepted by the others, and by a restarted node. Each key is sealed with the
/// master key (AES-256-GCM), so the database alone does not give them away.
/// </summary>
public sealed class SharedDataProtectionKeys(IDocumentStore store, CredentialKeyRing masterKeys, ILogger logger) : IXmlRepository
{
    public const string Schema = "accounts";

    public static void AddTo(IServiceCollection services)
    {
        services.ConfigureMarten(opts => opts.Schema.For<DataProtectionKey>().DatabaseSchemaName(Schema));
        // One application for every node, whatever directory each runs from.
        services.AddDataProtection().SetApplicationName("Catalyst");
        // The key manager warns at every new key that no XML encryptor is configured: this repository seals each key
        // itself (below), so that warning is not true here and would be the first thing a Production log says.
        services.Configure<LoggerFilterOptions>(o => o.AddFilter("Microsoft.AspNetCore.DataProtection.KeyManagement.XmlKeyManager", LogLevel.Error));
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp => new ConfigureOptions<KeyManagementOptions>(o =>
            o.XmlRepository = new SharedDataProtectionKeys(sp.GetRequiredService<IDocumentStore>(), sp.GetRequiredService<CredentialKeyRing>(),
                sp.GetRequiredService<ILoggerFactory>().CreateLogger<SharedDataProtectionKeys>())));
    }

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var session = store.QuerySession();
        var elements = new List<XElement>();
        foreach (var key in session.Query<DataProtectionKey>().ToListAsync().GetAwaiter().GetResult())
        {
            try
            {
                elements.Add(XElement.Parse(masterKeys.Decrypt(key.Sealed, AssociatedData(key.Id))));
            }
            catch (Exception e) when (e is MissingEncryptionKeyException or System.Security.Cryptography.CryptographicException)
            {
                // Sealed with a master key no longer configured: the cookies it protected end, and a new key is made.
                logger.LogWarning("Cookie key {Key} cannot be opened with the configured master keys ({Reason}); it is skipped", key.Id, e.Message);
            }
        }
        return elements;
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        var id = string.IsNullOrWhiteSpace(friendlyName) ? Guid.NewGuid().ToString() : friendlyName;
        var xml = element.ToString(SaveOptions.DisableFormatting);
        using var session = store.LightweightSession();
        session.Store(new DataProtectionKey(id, masterKeys.Encrypt(xml, AssociatedData(id)), DateTimeOffset.UtcNow));
        // IXmlRepository is synchronous; a key is stored about once every 90 days.
        session.SaveChangesAsync().GetAwaiter().GetResult();
    }

    /// <summary>Binds a sealed key to its id, so a stored key cannot be passed off as another.</summary>
    private static byte[] AssociatedData(string id) => Encoding.UTF8.GetBytes($"catalyst-data-protection-key:{id}");
}
