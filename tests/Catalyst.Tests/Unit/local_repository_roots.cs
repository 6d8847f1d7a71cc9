using Catalyst.Integrations.Projects;
using Microsoft.Extensions.Configuration;

namespace Catalyst.Tests.Unit;

public sealed class local_repository_roots
{
    private static LocalRepositoryRoots From(params (string Key, string Value)[] settings) => new(new ConfigurationBuilder()
        .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)).Prepend(new("CATALYST_DATA_DIR", "/srv/catalyst")))
        .Build());

    private const string External = "ConnectionStrings:Catalyst";

    [Fact]
    public void with_an_external_database_and_nothing_listed_no_local_path_is_allowed_and_the_message_says_so()
    {
        var roots = From((External, "Host=db"));
        roots.Refusal("/srv/catalyst/repos/app.git").ShouldBe(
            "Local repositories are not allowed here: /srv/catalyst/repos/app.git is not under a directory listed in " +
            "Catalyst__Projects__LocalRepositoryRoots (none is set). Ask an admin to add its parent directory, or use an https:// or ssh:// URL.");
        roots.Refusal("file:///srv/catalyst/repos/app.git").ShouldNotBeNull();
    }

    [Theory]
    [InlineData("https://github.com/acme/app.git")]
    [InlineData("git@github.com:acme/app.git")]
    [InlineData("ssh://git@host:2222/acme/app.git")]
    public void remote_urls_are_not_concerned(string url) => From((External, "Host=db")).Refusal(url).ShouldBeNull();

    [Fact]
    public void the_embedded_default_also_allows_the_repos_directory_of_its_data_directory()
    {
        var roots = From();
        roots.Refusal("/srv/catalyst/repos/app.git").ShouldBeNull();
        roots.Refusal("file:///srv/catalyst/repos/app.git").ShouldBeNull();
        roots.Refusal("/srv/catalyst/postgres").ShouldBe(
            "Local repositories are not allowed here: /srv/catalyst/postgres is not under /srv/catalyst/repos or a directory listed in " +
            "Catalyst__Projects__LocalRepositoryRoots (none is set). Ask an admin to add its parent directory, or use an https:// or ssh:// URL.");
    }

    [Fact]
    public void roots_are_separated_by_colons_or_commas_and_a_sibling_with_the_same_prefix_is_not_under_them()
    {
        var roots = From((External, "Host=db"), (LocalRepositoryRoots.ConfigurationKey, "/srv/git:/home/shared, /opt/repos"));
        roots.Refusal("/srv/git/app.git").ShouldBeNull();
        roots.Refusal("/home/shared/team/app.git").ShouldBeNull();
        roots.Refusal("/opt/repos/app.git").ShouldBeNull();
        roots.Refusal("/srv/git-private/app.git").ShouldNotBeNull().ShouldContain("(it lists /srv/git, /home/shared, /opt/repos)");
        roots.Refusal("/srv/git/../git-private/app.git").ShouldNotBeNull();
        roots.Refusal("file://host/srv/git/%2e%2e/git-private/app.git").ShouldNotBeNull();
    }

    [Fact]
    public void symbolic_links_are_followed_before_dot_dot_as_the_kernel_does()
    {
        var root = Directory.CreateTempSubdirectory("catalyst-roots-unit-");
        var outside = Directory.CreateTempSubdirectory("catalyst-outside-unit-");
        try
        {
            var allowed = Directory.CreateDirectory(Path.Combine(root.FullName, "allowed")).FullName;
            Directory.CreateDirectory(Path.Combine(outside.FullName, "deep", "deeper"));
            var roots = LocalRepositoryRoots.Of([allowed]);

            // allowed/jump -> outside/deep/deeper, so allowed/jump/../x is outside/deep/x, not allowed/x.
            File.CreateSymbolicLink(Path.Combine(allowed, "jump"), Path.Combine(outside.FullName, "deep", "deeper"));
            roots.Refusal($"{allowed}/jump/../x.git").ShouldNotBeNull();
            LocalRepositoryRoots.Canonical($"{allowed}/jump/../x.git").ShouldBe(Path.Combine(outside.FullName, "deep", "x.git"));

            // A relative link that stays inside is fine; a loop is refused.
            Directory.CreateDirectory(Path.Combine(allowed, "real"));
            File.CreateSymbolicLink(Path.Combine(allowed, "alias"), "real");
            roots.Refusal($"{allowed}/alias/app.git").ShouldBeNull();
            File.CreateSymbolicLink(Path.Combine(allowed, "loop"), "loop");
            roots.Refusal($"{allowed}/loop/app.git").ShouldNotBeNull();

            // A listed directory that is itself a link is compared by where it leads.
            var linkedRoot = Path.Combine(root.FullName, "linked-root");
            File.CreateSymbolicLink(linkedRoot, allowed);
            LocalRepositoryRoots.Of([linkedRoot]).Refusal($"{allowed}/app.git").ShouldBeNull();
        }
        finally
        {
            root.Delete(recursive: true);
            outside.Delete(recursive: true);
        }
    }
}
