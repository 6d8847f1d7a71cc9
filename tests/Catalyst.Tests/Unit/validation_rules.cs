using Catalyst.Host.Accounts;
using Catalyst.Integrations.Projects;

namespace Catalyst.Tests.Unit;

public sealed class validation_rules
{
    public static readonly LocalRepositoryRoots SrvRepositories = LocalRepositoryRoots.Of(["/srv"]);

    [Theory]
    [InlineData("billing", true)]
    [InlineData("a", true)]
    [InlineData("my-service-2", true)]
    [InlineData("-leading", false)]
    [InlineData("trailing-", false)]
    [InlineData("Upper", false)]
    [InlineData("has space", false)]
    [InlineData("new", false)]
    [InlineData("", false)]
    public void project_slugs(string slug, bool valid) =>
        new ProjectSettings("Name", slug, "/srv/repo.git").Validate(SrvRepositories).Any(e => e.Field == "Slug").ShouldBe(!valid);

    [Theory]
    [InlineData("https://github.com/acme/billing.git", true)]
    [InlineData("git@github.com:acme/billing.git", true)]
    [InlineData("ssh://git@host:2222/acme/billing.git", true)]
    [InlineData("file:///srv/git/billing.git", true)]
    [InlineData("/srv/git/billing", true)]
    [InlineData("relative/path", false)]
    [InlineData("ftp://host/repo", false)]
    [InlineData("https://", false)]
    [InlineData("", false)]
    public void repository_urls(string url, bool valid) => ProjectSettings.IsRepository(url).ShouldBe(valid);

    [Fact]
    public void project_limits_are_bounded()
    {
        var errors = new ProjectSettings("Name", "ok", "/srv/repo", "main", null, TimeoutSeconds: 4, MaxConcurrentTasks: 0).Validate(SrvRepositories);
        errors.Select(e => e.Field).ShouldBe(["TimeoutSeconds", "MaxConcurrentTasks"], ignoreOrder: true);
        new ProjectSettings("Name", "ok", "/srv/repo").Validate(SrvRepositories).ShouldBeEmpty();
        new ProjectSettings("Name", "ok", "/srv/repo", "bad..branch").Validate(SrvRepositories).Single().Field.ShouldBe("DefaultBranch");
    }

    [Fact]
    public void accounts_need_an_email_and_a_long_enough_password()
    {
        new RegisterAccount("ada@example.com", "12345678").Validate().ShouldBeEmpty();
        new RegisterAccount("ada", "12345678").Validate().Single().Field.ShouldBe("Email");
        new RegisterAccount("ada@example.com", "1234567").Validate().Single().Field.ShouldBe("Password");
    }

    [Fact]
    public void api_tokens_are_random_and_only_their_hash_is_kept()
    {
        var (first, secret1) = ApiTokenHandler.NewToken(Guid.NewGuid(), "a", DateTimeOffset.UnixEpoch);
        var (_, secret2) = ApiTokenHandler.NewToken(Guid.NewGuid(), "b", DateTimeOffset.UnixEpoch);
        secret1.ShouldStartWith("cat_");
        secret1.ShouldNotBe(secret2);
        first.Hash.ShouldBe(ApiTokenHandler.Hash(secret1));
        first.Hash.ShouldNotContain(secret1[4..]);
        secret1.ShouldStartWith(first.Prefix);
        new CreateApiToken(Guid.NewGuid(), " ").Validate().ShouldNotBeEmpty();
    }
}

public sealed class credential_base_urls
{
    [Theory]
    [InlineData("https://api.anthropic.com", true)]
    [InlineData("http://127.0.0.1:8080/v1", true)]
    [InlineData("https://gateway.example.com/openai/v1", true)]
    [InlineData("https://api.example.com/v1\"\nmodel_provider = \"evil", false)]
    [InlineData("https://api.example.com/v1\",\"x\":\"y", false)]
    [InlineData("https://api.example.com/{home}", false)]
    [InlineData("https://api.example.com/a'b", false)]
    [InlineData("https://api.example.com/a\\b", false)]
    [InlineData("https://user:pw@api.example.com", false)]
    [InlineData("ftp://api.example.com", false)]
    public void a_base_url_cannot_break_the_agents_config_files(string url, bool valid)
    {
        var errors = new List<Catalyst.Contracts.CommandError>();
        Catalyst.Credentials.CredentialInput.CheckBaseUrl(url, errors);
        errors.Any(e => e.Field == "BaseUrl").ShouldBe(!valid);
    }
}
