using Catalyst.Host.Database;
using JasperFx;
using JasperFx.CodeGeneration;
using Marten;
using Npgsql;
using Wolverine;
using Wolverine.Marten;

namespace Catalyst.Host;

public static class Platform
{
    /// <summary>Marten, Wolverine, pages and health checks: what every module stands on.</summary>
    public static void AddCatalystPlatform(this WebApplicationBuilder builder, CatalystDatabase database)
    {
        var services = builder.Services;
        // A fixed, predictable address unless ASPNETCORE_URLS (or Urls) says otherwise.
        if (string.IsNullOrWhiteSpace(builder.Configuration["urls"])) builder.WebHost.UseUrls("http://localhost:5080");
        // The modules' wwwroot files (/_content/Catalyst.*/...) are found through the static web assets manifest of a build;
        // ASP.NET Core reads it by itself only in Development, and `dotnet run` runs Production. A published build has no
        // manifest (the files are copied under wwwroot/_content) and this does nothing there.
        if (!builder.Environment.IsDevelopment()) builder.WebHost.UseStaticWebAssets();
        services.AddSingleton(database);
        services.AddSingleton(TimeProvider.System);

        services.CritterStackDefaults(x =>
        {
            // Generated handler code is compiled at start-up; a deployment may pre-generate it (`codegen write`) and switch to Static.
            x.Production.GeneratedCodeMode = TypeLoadMode.Dynamic;
            x.Production.ResourceAutoCreate = AutoCreate.CreateOrUpdate;
        });

        services.AddMarten(opts =>
            {
                opts.Connection(database.ConnectionString);
                opts.DatabaseSchemaName = "catalyst";
                opts.Events.DatabaseSchemaName = "events";
            })
            .UseLightweightSessions()
            .IntegrateWithWolverine(x => x.MessageStorageSchemaName = "wolverine");
        // Create or update every module's tables at start-up (including the ones that are not documents, such as task logs).
        JasperFx.Resources.ResourceHostExtensions.AddResourceSetupOnStartup(services, JasperFx.Resources.StartupAction.SetupOnly);

        builder.Host.UseWolverine(opts =>
        {
            // The tests run this Host from another entry assembly: name ours.
            opts.ApplicationAssembly = typeof(Platform).Assembly;
            opts.Policies.AutoApplyTransactions();
            opts.Policies.UseDurableLocalQueues();
            opts.Policies.UseDurableInboxOnAllListeners();
            opts.Policies.UseDurableOutboxOnAllSendingEndpoints();
        });

        services.AddRazorPages(o => o.Conventions.AuthorizeFolder("/"))
            // Commands validate their own input and say what to fix; MVC only reports values it cannot parse.
            .AddMvcOptions(o =>
            {
                o.SuppressImplicitRequiredAttributeForNonNullableReferenceTypes = true;
                o.Filters.Add(new FormInputGuard());
                // An empty number field is said once, in words, beside the field (not "The value '' is invalid." twice).
                o.ModelBindingMessageProvider.SetValueMustNotBeNullAccessor(_ => "Enter a number here, or leave the field empty where that is allowed.");
                o.ModelBindingMessageProvider.SetAttemptedValueIsInvalidAccessor((value, field) => $"“{value}” is not a valid value for {FormInputGuard.Label(field)}; enter a number.");
                o.ModelBindingMessageProvider.SetValueIsInvalidAccessor(value => $"“{value}” is not valid here; enter a number.");
                o.ModelBindingMessageProvider.SetNonPropertyAttemptedValueIsInvalidAccessor(value => $"“{value}” is not valid here; enter a number.");
                o.ModelBindingMessageProvider.SetUnknownValueIsInvalidAccessor(field => $"{FormInputGuard.Label(field)} is not valid; enter a number.");
                o.ModelBindingMessageProvider.SetNonPropertyUnknownValueIsInvalidAccessor(() => "A value is not valid; enter a number.");
                o.ModelBindingMessageProvider.SetMissingBindRequiredValueAccessor(field => $"{FormInputGuard.Label(field)} is required.");
                o.ModelBindingMessageProvider.SetValueMustBeANumberAccessor(field => $"{FormInputGuard.Label(field)} must be a number.");
            });
        services.AddSingleton<Microsoft.AspNetCore.Mvc.ViewFeatures.IHtmlGenerator, CatalystHtmlGenerator>();
        services.AddAntiforgery(o =>
        {
            o.HeaderName = "RequestVerificationToken";
            o.Cookie.Name = "catalyst.antiforgery";
        });
        services.AddSingleton(EmbeddedDatabaseOptions.FromConfiguration(builder.Configuration));
        services.AddSingleton<EmbeddedDatabaseSupervisor>();
        services.AddHostedService(sp => sp.GetRequiredService<EmbeddedDatabaseSupervisor>());
        services.AddHealthChecks().AddCheck<EmbeddedDatabaseSupervisor>("embedded-database", tags: ["live"]);
        // The health check service logs every probe that is not healthy; the supervisor logs each change once instead.
        builder.Logging.AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks.DefaultHealthCheckService", LogLevel.Critical);
        // While the embedded database is known to be down, Wolverine's pollers and every retried message would log a
        // stack trace each a few times a second: the supervisor's one line per attempt says it all.
        foreach (var category in new[] { "Wolverine", "Marten", "JasperFx", "Catalyst.Contracts" })
        {
            var configured = builder.Configuration.GetValue<LogLevel?>($"Logging:LogLevel:{category}")
                ?? builder.Configuration.GetValue<LogLevel?>("Logging:LogLevel:Default") ?? LogLevel.Information;
            builder.Logging.AddFilter(category, level => level >= configured && (level >= LogLevel.Critical || !EmbeddedDatabaseSupervisor.OutageUnderWay));
        }
        services.AddProblemDetails();
    }

    public static void UseCatalystPipeline(this WebApplication app)
    {
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
                .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses ?? [];
            var database = app.Services.GetRequiredService<CatalystDatabase>();
            app.Logger.LogInformation("Catalyst is running at {Urls} ({Database})", string.Join(", ", addresses),
                database.IsEmbedded ? $"embedded PostgreSQL in {CatalystDatabase.DataDirectory(app.Configuration)}" : "external PostgreSQL");
        });
        if (!app.Environment.IsDevelopment()) app.UseExceptionHandler("/error");
        app.UseStatusCodePagesWithReExecute("/error/{0}");
        app.UseMiddleware<SecurityHeaders>();
        app.UseMiddleware<DatabaseOutage>();
        app.UseMiddleware<Mcp.McpHttpGuard>();
        app.UseMiddleware<RequestInputGuard>();
        app.UseStaticFiles();
        // Everything past the static files is someone's data: no browser or proxy keeps it, so Back after sign-out
        // asks the server again (and is sent to sign in) instead of showing the signed-out person's pages.
        app.Use((context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                if (!context.Response.Headers.ContainsKey(Microsoft.Net.Http.Headers.HeaderNames.CacheControl))
                    context.Response.Headers.CacheControl = "no-store";
                return Task.CompletedTask;
            });
            return next(context);
        });
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
    }

    public static void MapCatalystPages(this WebApplication app)
    {
        app.MapRazorPages();
        // Liveness: the process answers, and the embedded database is running or being started again (503 once that gave up).
        app.MapHealthChecks("/health", new()
        {
            Predicate = check => check.Tags.Contains("live"),
            ResponseWriter = (context, report) =>
            {
                context.Response.ContentType = "text/plain; charset=utf-8";
                var said = report.Entries.Values.Where(e => e.Status != Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy)
                    .Select(e => e.Description).ToList();
                return context.Response.WriteAsync(said.Count == 0 ? "Healthy" : string.Join(" ", said));
            },
        }).AllowAnonymous();
        app.MapGet("/health/ready", async (CatalystDatabase database, EmbeddedDatabaseSupervisor supervisor, CancellationToken ct) =>
        {
            try
            {
                await using var connection = new NpgsqlConnection(database.ConnectionString);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                await connection.OpenAsync(timeout.Token);
                await using var command = new NpgsqlCommand("select 1", connection);
                await command.ExecuteScalarAsync(timeout.Token);
                return Results.Text("Healthy");
            }
            catch (Exception e) when (e is NpgsqlException or OperationCanceledException or System.Net.Sockets.SocketException)
            {
                var doing = supervisor.Description is "Healthy" ? "" : $" {supervisor.Description}";
                return Results.Text($"Unhealthy: the database cannot be reached.{doing}", statusCode: StatusCodes.Status503ServiceUnavailable);
            }
        }).AllowAnonymous();
    }
}
