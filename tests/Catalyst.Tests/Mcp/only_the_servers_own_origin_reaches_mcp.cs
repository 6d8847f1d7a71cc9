using Catalyst.Host.Mcp;
using Microsoft.AspNetCore.Http;

namespace Catalyst.Tests.Mcp;

/// <summary>The pure Origin rule of /mcp: no Origin is a non-browser client; an Origin must be the public URL's (or the request's own).</summary>
public sealed class only_the_servers_own_origin_reaches_mcp
{
    private static HttpRequest Request(string? origin, string host = "catalyst.internal:8080", string scheme = "http")
    {
        var context = new DefaultHttpContext();
        context.Request.Scheme = scheme;
        context.Request.Host = new HostString(host);
        if (origin is not null) context.Request.Headers.Origin = origin;
        return context.Request;
    }

    [Theory]
    [InlineData(null, null, true)]
    [InlineData("http://catalyst.internal:8080", null, true)]
    [InlineData("http://CATALYST.internal:8080", null, true)]
    [InlineData("http://catalyst.internal:9090", null, false)]
    [InlineData("https://evil.example", null, false)]
    [InlineData("null", null, false)]
    [InlineData("https://catalyst.example.com", "https://catalyst.example.com/", true)]
    [InlineData("https://catalyst.example.com:443", "https://catalyst.example.com", true)]
    [InlineData("http://catalyst.internal:8080", "https://catalyst.example.com", false)]
    [InlineData("https://catalyst.example.com.evil.example", "https://catalyst.example.com", false)]
    public void an_origin_is_let_in_only_when_it_is_the_servers_own(string? origin, string? publicUrl, bool allowed) =>
        McpHttpGuard.OriginAllowed(Request(origin), publicUrl).ShouldBe(allowed);
}
