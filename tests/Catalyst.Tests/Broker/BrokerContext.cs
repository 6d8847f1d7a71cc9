using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Catalyst.Contracts;
using Catalyst.Credentials;
using Catalyst.Tasks.Domain;
using Catalyst.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Catalyst.Tests.Broker;

/// <summary>A task granted a credential that points at a loopback vendor, its broker token, and requests sent the way each CLI sends them.</summary>
public abstract class BrokerContext(AppFixture fixture) : IntegrationContext(fixture)
{
    protected VendorApiServer Vendor { get; private set; } = null!;
    protected LlmBrokerEndpoint Broker => Host.Services.GetRequiredService<LlmBrokerEndpoint>();
    protected HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(60) };

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        Vendor = await VendorApiServer.StartAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Vendor.DisposeAsync();
    }

    protected sealed record BrokeredTask(Guid TaskId, Guid UserId, Guid CredentialId, string Key, string Token, string Provider, TaskAccess Access);

    /// <summary>How each provider's credential names the vendor: OpenAI-style base URLs end in /v1.</summary>
    protected string BaseUrlFor(string provider, string under = "") => provider switch
    {
        "codex-cli" or "qwen-code" => Vendor.BaseUrl + under + "/v1",
        _ => Vendor.BaseUrl + under,
    };

    protected async Task<BrokeredTask> TaskWithTokenAsync(string provider = "claude-code", Guid? userId = null, TaskBudget? budget = null,
        bool withStream = true, string under = "", string? baseUrl = null)
    {
        var user = userId ?? Guid.NewGuid();
        var key = FakeModelVendor.NewKey(provider switch { "claude-code" => "sk-ant-api03-", "gemini-cli" => "AIza", _ => "sk-proj-" });
        var added = await Invoke<Result<CredentialView>>(new AddAgentCredential(user, provider, key, $"work-{Guid.NewGuid():N}"[..20], BaseUrl: baseUrl ?? BaseUrlFor(provider, under)));
        added.Succeeded.ShouldBeTrue(added.ErrorText);
        var credentialId = added.Value!.Id;
        var taskId = Guid.CreateVersion7();
        (await Invoke<CredentialRef?>(new GrantCredentialToTask(user, credentialId, taskId))).ShouldNotBeNull();
        if (withStream)
        {
            await using var session = Store.LightweightSession();
            var now = DateTimeOffset.UtcNow;
            session.Events.StartStream<AgentTask>(taskId, new AgentTaskCreated(taskId, Guid.NewGuid(), "shop", "feature-dev", TaskContext.Manual, provider, provider,
                credentialId, "work", "Add a README.", user, now, null, 600, Budget: budget), new WorkspaceRequested(now), new AgentRunStarted(now));
            await session.SaveChangesAsync();
        }
        var info = await Invoke<AgentProviderInfo?>(new GetAgentProvider(provider));
        var access = await Invoke<TaskAccess?>(new IssueTaskToken(taskId, credentialId, info!) { Budget = budget ?? TaskBudget.None });
        access.ShouldNotBeNull();
        return new BrokeredTask(taskId, user, credentialId, key, access.Token, provider, access);
    }

    /// <summary>The base URL a CLI is given: the broker's address with the path of the vendor's base URL kept.</summary>
    protected string BrokerBaseUrl(TaskAccess access) => Broker.Url.ToString().TrimEnd('/') + new Uri(access.UpstreamBaseUrl).AbsolutePath.TrimEnd('/');

    protected static StringContent JsonBody(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>A model call the way the provider's CLI makes it, with the token where that CLI puts it.</summary>
    protected HttpRequestMessage ModelCall(string provider, string token, bool stream = false, string style = "header", string under = "")
    {
        var root = Broker.Url.ToString().TrimEnd('/') + under;
        HttpRequestMessage request;
        switch (provider)
        {
            case "claude-code":
                request = new(HttpMethod.Post, root + "/v1/messages")
                {
                    Content = JsonBody($$"""{"model":"claude-sonnet-4-5","max_tokens":1024,"stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"Write the README."}]}"""),
                };
                request.Headers.Add("x-api-key", token);
                request.Headers.Add("anthropic-version", "2023-06-01");
                break;
            case "codex-cli":
                request = new(HttpMethod.Post, root + "/v1/responses")
                {
                    Content = JsonBody("""{"model":"gpt-5.5","stream":true,"input":[{"role":"user","content":"Write the README."}]}"""),
                };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                break;
            case "qwen-code":
                request = new(HttpMethod.Post, root + "/v1/chat/completions")
                {
                    Content = JsonBody("""{"model":"qwen3-coder-plus","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Write the README."}]}"""),
                };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                break;
            case "gemini-cli":
                var call = stream ? "streamGenerateContent?alt=sse" : "generateContent";
                request = new(HttpMethod.Post, root + $"/v1beta/models/gemini-2.5-pro:{call}" + (style == "query" ? (stream ? "&" : "?") + "key=" + token : ""))
                {
                    Content = JsonBody("""{"contents":[{"role":"user","parts":[{"text":"Write the README."}]}]}"""),
                };
                if (style != "query") request.Headers.Add("x-goog-api-key", token);
                break;
            default: throw new ArgumentOutOfRangeException(nameof(provider));
        }
        return request;
    }

    protected async Task<AgentTask> TaskAsync(Guid taskId)
    {
        await using var session = Store.QuerySession();
        return (await session.LoadAsync<AgentTask>(taskId))!;
    }

    /// <summary>Waits (a bounded while) for what a message handled in the background leaves behind.</summary>
    protected static async Task Eventually(Func<Task<bool>> condition, string what)
    {
        for (var i = 0; i < 300 && !await condition(); i++) await Task.Delay(100);
        (await condition()).ShouldBeTrue(what);
    }

    /// <summary>A client that reaches the broker through its Unix socket, as a sandboxed workspace does.</summary>
    protected HttpClient SocketClient() => new(new SocketsHttpHandler
    {
        ConnectCallback = async (_, ct) =>
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(Broker.SocketPath), ct);
            return new NetworkStream(socket, ownsSocket: true);
        },
    }) { Timeout = TimeSpan.FromSeconds(60) };
}
