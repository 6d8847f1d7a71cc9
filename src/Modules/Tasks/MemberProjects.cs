using Catalyst.Web;
using Wolverine;

namespace Catalyst.Tasks;

/// <summary>
/// The Projects module's answer to "which project is this slug, and is this person a member", as the task lists ask it
/// on every request: kept (at most 30 s, and only while this node hears changes to projects: see
/// <see cref="ChangeNotices"/>), so a list costs one round trip to the database instead of two. Any change to any
/// project, on any node, empties it. Commands (create, retry, cancel) ask the Projects module every time.
/// </summary>
public sealed class MemberProjects(ChangeNotices notices, TimeProvider clock)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);
    private readonly NoticedCache<(Guid User, string Slug), ProjectRef?> _bySlug = new(notices, clock, Lifetime);
    private readonly NoticedCache<Guid, IReadOnlyList<ProjectRef>> _ofUser = new(notices, clock, Lifetime);

    public ValueTask<ProjectRef?> FindAsync(IMessageBus bus, Guid userId, string slug, CancellationToken ct) =>
        _bySlug.GetAsync((userId, slug), (key, token) => bus.InvokeAsync<ProjectRef?>(new FindMemberProject(key.User, key.Slug), token), ct);

    public ValueTask<IReadOnlyList<ProjectRef>> ListAsync(IMessageBus bus, Guid userId, CancellationToken ct) =>
        _ofUser.GetAsync(userId, (user, token) => bus.InvokeAsync<IReadOnlyList<ProjectRef>>(new ListMemberProjects(user), token), ct);
}
