using System.Text;
using Catalyst.Integrations.GitHub;

namespace Catalyst.Tests.GitHub;

public sealed class github_rules
{
    [Theory]
    [InlineData("@catalyst-agent fix the test", "fix the test")]
    [InlineData("Hey @Catalyst-Agent   please look\nat line 3", "please look\nat line 3")]
    [InlineData("cc @catalyst-agent", "")]
    public void the_instructions_are_what_follows_the_handle(string text, string instructions) =>
        StartTaskFromGitHubHandler.MentionOf(text, "@catalyst-agent").ShouldBe(instructions);

    [Theory]
    [InlineData("ping @catalyst-agents about it")]
    [InlineData("mail me at me@catalyst-agent.dev")]
    [InlineData("no mention here")]
    public void a_text_without_the_handle_as_a_word_asks_nothing(string text) =>
        StartTaskFromGitHubHandler.MentionOf(text, "@catalyst-agent").ShouldBeNull();

    [Fact]
    public void catalysts_own_comment_asks_nothing_even_when_it_names_the_handle() =>
        StartTaskFromGitHubHandler.MentionOf($"{StartTaskFromGitHubHandler.Marker}\nTry `@catalyst-agent fix it`", "@catalyst-agent").ShouldBeNull();

    [Fact]
    public void a_snapshot_longer_than_its_limit_is_cut_with_a_note()
    {
        var cut = GitHubContextSnapshot.Cap("# Issue\n" + new string('é', 80_000));
        Encoding.UTF8.GetByteCount(cut).ShouldBeLessThanOrEqualTo(GitHubContextSnapshot.MaxSnapshotBytes);
        cut.ShouldStartWith("# Issue\n");
        cut.ShouldEndWith("[The context was cut at 60 KB; read the rest on GitHub or in the repository.]");
        GitHubContextSnapshot.Cap("short").ShouldBe("short");
    }

    [Fact]
    public void a_review_comment_is_on_the_last_line_of_its_diff_hunk() =>
        GitHubContextSnapshot.LineOf("@@ -10,4 +12,5 @@ class Cart\n a\n-b\n+c\n+d\n e").ShouldBe(15);

    [Fact]
    public void a_signature_matches_only_the_body_and_secret_it_was_made_with()
    {
        var body = Encoding.UTF8.GetBytes("{\"zen\":\"Keep it logically awesome.\"}");
        var header = "sha256=" + Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData("s3cret"u8.ToArray(), body));
        GitHubWebhookEndpoint.SignatureMatches(body, header, "s3cret").ShouldBeTrue();
        GitHubWebhookEndpoint.SignatureMatches(body, header, "other").ShouldBeFalse();
        GitHubWebhookEndpoint.SignatureMatches([.. body, 32], header, "s3cret").ShouldBeFalse();
        GitHubWebhookEndpoint.SignatureMatches(body, header.Replace("sha256=", "sha1="), "s3cret").ShouldBeFalse();
        GitHubWebhookEndpoint.SignatureMatches(body, "sha256=zz", "s3cret").ShouldBeFalse();
    }

    [Fact]
    public void an_app_jwt_is_rs256_issued_by_the_app_a_minute_back_and_expires_within_ten_minutes()
    {
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        var now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
        var parts = GitHubClients.AppJwt(42, rsa.ExportRSAPrivateKeyPem(), now).Split('.');
        static byte[] Decode(string s) { s = s.Replace('-', '+').Replace('_', '/'); return Convert.FromBase64String(s.PadRight(s.Length + (4 - s.Length % 4) % 4, '=')); }
        Encoding.UTF8.GetString(Decode(parts[0])).ShouldContain("\"alg\":\"RS256\"");
        using var payload = System.Text.Json.JsonDocument.Parse(Decode(parts[1]));
        payload.RootElement.GetProperty("iss").GetString().ShouldBe("42");
        payload.RootElement.GetProperty("iat").GetInt64().ShouldBe(now.ToUnixTimeSeconds() - 60);
        (payload.RootElement.GetProperty("exp").GetInt64() - payload.RootElement.GetProperty("iat").GetInt64()).ShouldBeLessThanOrEqualTo(600);
        rsa.VerifyData(Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}"), Decode(parts[2]), System.Security.Cryptography.HashAlgorithmName.SHA256,
            System.Security.Cryptography.RSASignaturePadding.Pkcs1).ShouldBeTrue();
    }
}
