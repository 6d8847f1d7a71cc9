using Catalyst.Credentials.Encryption;
using Marten;
using Marten.Schema;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Wolverine;

namespace Catalyst.Credentials;

public static class CredentialsModule
{
    public const string Schema = "credentials";

    public static IServiceCollection AddCredentialsModule(this IServiceCollection services)
    {
        services.ConfigureMarten(opts =>
        {
            opts.Schema.For<UserAgentCredential>().DatabaseSchemaName(Schema)
                .Index(c => c.OwnerId)
                // Deleted credentials have no label key, and PostgreSQL lets nulls repeat: a label can be used again.
                .UniqueIndex(UniqueIndexType.Computed, "uq_credential_owner_label", c => c.OwnerId, c => c.LabelKey!);
            opts.Schema.For<CredentialGrant>().DatabaseSchemaName(Schema).Index(g => g.CredentialId);
            opts.Schema.For<TaskToken>().DatabaseSchemaName(Schema).Index(t => t.TaskId);
            opts.Schema.For<UserBudget>().DatabaseSchemaName(Schema);
            opts.Storage.ExtendedSchemaObjects.Add(LlmSpend.Table());
        });

        services.AddSingleton<CredentialKeyRing>();
        services.AddSingleton<KeyCheckSettings>();
        services.AddHostedService<EncryptionKeyCheck>();
        // A redirect would carry the key's header to wherever it points: report it instead of following it.
        services.AddHttpClient(ProviderKeyCheck.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, ConnectTimeout = TimeSpan.FromSeconds(10) });

        // The LLM broker: its own listeners, YARP's forwarder, nothing of a request logged below a warning by YARP.
        services.AddHttpForwarder();
        // YARP writes a line per forwarded request at Information; the broker's own warnings say what matters.
        services.AddLogging(logging => logging.AddFilter("Yarp", LogLevel.Warning));
        services.AddSingleton<TaskTokenCache>();
        services.AddSingleton<LlmSpend>();
        services.AddSingleton<LlmPrices>();
        services.AddSingleton<LlmBroker>();
        services.AddSingleton<BrokerMetrics>();
        services.AddSingleton<LlmBrokerEndpoint>();
        services.AddHostedService<LlmBrokerServer>();

        services.ConfigureWolverine(opts => opts.Discovery.IncludeAssembly(typeof(CredentialsModule).Assembly));
        return services;
    }
}
