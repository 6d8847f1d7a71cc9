using Catalyst.Web;
using Catalyst.Credentials;
using Catalyst.Host;
using Catalyst.Host.Accounts;
using Catalyst.Host.Database;
using Catalyst.Host.Mcp;
using Catalyst.Integrations;
using Catalyst.Operator;
using Catalyst.Providers;
using Catalyst.Tasks;
using JasperFx;

var builder = WebApplication.CreateBuilder(args);

PrivateDataDirectory.Apply(builder.Configuration);

// No connection string: start the embedded PostgreSQL under the data directory.
await using var database = await CatalystDatabase.OpenAsync(builder.Configuration);

builder.AddCatalystPlatform(database);
builder.AddCatalystObservability();
builder.Services.AddChangeNotices();
builder.Services.AddAccounts(builder.Configuration);
builder.Services.AddProvidersModule();
builder.Services.AddCredentialsModule();
builder.Services.AddTasksModule();
builder.Services.AddIntegrationsModule();
builder.Services.AddWorkspaces(builder.Configuration);
builder.Services.AddCatalystMcp();

var app = builder.Build();

// Before the pipeline: the management port's guard runs ahead of sign-in redirects and error pages.
app.MapCatalystMetrics();
app.UseCatalystPipeline();
app.MapAccounts();
app.MapCatalystPages();
app.MapIntegrationsEndpoints();
app.MapTasksEndpoints();
app.MapMcp("/mcp").RequireAuthorization(CatalystMcp.TokenPolicy);

return await app.RunJasperFxCommands(args);

public partial class Program;
