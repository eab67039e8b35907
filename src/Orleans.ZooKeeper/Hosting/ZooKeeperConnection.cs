using Orleans.ZooKeeper.Client;

namespace Orleans.ZooKeeper;

/// <summary>
/// A provider's ready connection to ZooKeeper, handed out by <see cref="ZooKeeperProviderHost.ConnectAsync"/>: the
/// client (connected, its continuations never on the client's reader thread), the base path the provider keeps its
/// nodes under, and the ACL its nodes get. The provider uses it and disposes it when it stops; what happens to the
/// container behind it then is the host's business (a named container lives on with its own lifecycle, a provider's
/// own container closes with its last connection).
/// </summary>
public sealed class ZooKeeperConnection : IAsyncDisposable
{
    private readonly ZooKeeperProviderHost _host;
    private int _released;

    internal ZooKeeperConnection(ZooKeeperProviderHost host, string provider, ZooKeeperContainer container, bool own)
    {
        _host = host;
        Provider = provider;
        Container = container;
        IsOwn = own;
    }

    /// <summary>The provider that asked for it (e.g. <c>storage:zookeeper</c>, <c>clustering</c>).</summary>
    public string Provider { get; }

    /// <summary>The container behind it (its name, target and state; leave starting and stopping it to the host).</summary>
    public ZooKeeperContainer Container { get; }

    /// <summary>The client, connected when this was handed out.</summary>
    public ZooKeeperClient Client => Container.Client;

    /// <summary>The container's base path (absolute): the provider's nodes go below it.</summary>
    public string BasePath => Container.BasePath;

    /// <summary>The ACL for the nodes the provider creates: only the session's own identities when it has credentials, else open.</summary>
    public IReadOnlyList<Acl> NodeAcl => Container.NodeAcl;

    /// <summary>The container's name, for logs and messages.</summary>
    public string ContainerName => Container.Name;

    /// <summary>True when the container is the provider's own (closed with its last connection), false for a named, shared one.</summary>
    internal bool IsOwn { get; }

    /// <summary>Hands the connection back (once): a provider's own container closes when its last connection is back.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            await _host.ReleaseAsync(this).ConfigureAwait(false);
        }
    }
}
