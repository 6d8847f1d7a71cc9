using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Catalyst.Tests.Infrastructure;

public static class DatabaseReset
{
    /// <summary>
    /// Empties every document and event table between tests. The truncation waits for every open transaction on those
    /// tables; a scheduler pass of the previous test's tasks holds one while it asks another module (on another
    /// connection, queued behind the truncation) about a project, so each attempt is cut short and tried again rather
    /// than left to wait out the 30 s command timeout.
    /// </summary>
    public static async Task ResetDataAsync(this IHost host)
    {
        var store = host.Services.GetRequiredService<IDocumentStore>();
        for (var attempt = 1; ; attempt++)
        {
            using var cut = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await store.Advanced.ResetAllData(cut.Token);
                return;
            }
            catch (Exception e) when (attempt < 5 && cut.IsCancellationRequested && e is OperationCanceledException or NpgsqlException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt));
            }
        }
    }
}
