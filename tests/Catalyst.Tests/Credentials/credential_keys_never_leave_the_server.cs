using System.Net;
using System.Text;
using Catalyst.Contracts;
using Catalyst.Credentials;
using Catalyst.Host.Database;
using Catalyst.Tests.Infrastructure;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Catalyst.Tests.Credentials;

public sealed class credential_keys_never_leave_the_server(AppFixture fixture) : IntegrationContext(fixture)
{
    private readonly List<string> _pages = [];

    private async Task<HttpResponseMessage> Keep(Task<HttpResponseMessage> request)
    {
        var response = await request;
        _pages.Add(await response.Content.ReadAsStringAsync());
        return response;
    }

    /// <summary>Every row of every table in the database, as text: documents, Wolverine's envelopes, everything.</summary>
    private async Task<List<(string Table, string Row)>> EveryStoredRow()
    {
        await using var connection = new NpgsqlConnection(Host.Services.GetRequiredService<CatalystDatabase>().ConnectionString);
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand(
            "select quote_ident(table_schema) || '.' || quote_ident(table_name) from information_schema.tables " +
            "where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')", connection))
        await using (var reader = await list.ExecuteReaderAsync())
            while (await reader.ReadAsync()) tables.Add(reader.GetString(0));

        var rows = new List<(string, string)>();
        foreach (var table in tables)
        {
            await using var select = new NpgsqlCommand($"select t::text from {table} t", connection);
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync()) rows.Add((table, reader.GetString(0)));
        }
        return rows;
    }

    [Fact]
    public async Task no_page_fragment_stored_row_or_log_line_holds_the_key()
    {
        var key = FakeModelVendor.NewKey("sk-ant-api03-");
        var forms = new[] { key, Convert.ToBase64String(Encoding.UTF8.GetBytes(key)), Convert.ToHexString(Encoding.UTF8.GetBytes(key)), key[6..^4] };
        Fixture.Vendor.Accept(key);
        using var ada = await SignedUp("ada@example.com");
        var vendor = Fixture.Vendor.AnthropicBaseUrl;

        await Keep(ada.GetAsync("/settings/agents/new"));
        await Keep(ada.HtmxPostAsync("/settings/agents/new?handler=Test", CredentialSteps.Form("claude-code", key, baseUrl: vendor), "/settings/agents/new"));
        await Keep(ada.PostFormAsync("/settings/agents/new?handler=Test", CredentialSteps.Form("claude-code", key, baseUrl: vendor), formPage: "/settings/agents/new"));
        var echoed = await Keep(ada.HtmxPostAsync("/settings/agents/new?handler=Test", CredentialSteps.Form("claude-code", key, baseUrl: Fixture.Vendor.EchoingBaseUrl), "/settings/agents/new"));
        WebUtility.HtmlDecode(_pages[^1]).ShouldContain($"The key {CredentialInput.Mask(key)} is not valid here.");
        echoed.StatusCode.ShouldBe(HttpStatusCode.OK);
        var rejected = await Keep(ada.PostCredentialAsync(CredentialSteps.Form("claude-code", key, "not a label!", baseUrl: vendor)));
        rejected.StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        var id = await ada.AddCredentialAsync(Store, "claude-code", key, "work", baseUrl: vendor);
        await Keep(ada.HtmxPostAsync($"/settings/agents?handler=Test&id={id}", new(), "/settings/agents"));
        await Keep(ada.PostFormAsync($"/settings/agents?handler=Test&id={id}", new(), formPage: "/settings/agents"));
        await Keep(ada.GetAsync("/settings/agents"));
        await Keep(ada.GetAsync("/settings/agents/new"));

        var taskId = Guid.NewGuid();
        (await Invoke<CredentialRef?>(new GrantCredentialToTask(await UserId("ada@example.com"), id, taskId))).ShouldNotBeNull();
        (await IssueToken(id, taskId)).ShouldNotBeNull().Token.ShouldNotContain(key);

        _pages.Count.ShouldBe(9);
        foreach (var page in _pages)
        foreach (var form in forms)
            page.ShouldNotContain(form);

        var rows = await EveryStoredRow();
        var credentialRow = rows.Single(r => r.Table == "credentials.mt_doc_useragentcredential").Row;
        credentialRow.ShouldContain("Ciphertext");
        credentialRow.ShouldContain(CredentialInput.Mask(key));
        foreach (var (table, row) in rows)
        foreach (var form in forms)
            row.ShouldNotContain(form, customMessage: $"the key is stored in clear in {table}");

        var logs = Fixture.Logs.Lines;
        logs.ShouldContain(l => l.Contains("Key test for claude-code"));
        logs.ShouldContain(l => l.Contains("Task token issued to task"));
        foreach (var line in logs)
        foreach (var form in forms)
            line.ShouldNotContain(form, customMessage: "the key is in a log line");
    }
}
