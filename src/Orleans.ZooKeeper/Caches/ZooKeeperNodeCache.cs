using Microsoft.Extensions.Logging;
using Orleans.ZooKeeper.Client;

namespace Orleans.ZooKeeper;

/// <summary>
/// A local copy of one znode (data and metadata, or null while it does not exist), kept current by a persistent watch,
/// with the same events, ordering and resync as <see cref="ZooKeeperTreeCache"/> (for that one node).
/// </summary>
public sealed class ZooKeeperNodeCache : IAsyncDisposable
{
    private readonly ZooKeeperTreeCache _cache;

    /// <summary>Creates a cache of the node at <paramref name="path"/> (absolute); <see cref="StartAsync"/> fills it.</summary>
    public ZooKeeperNodeCache(ZooKeeperClient client, string path, ILogger? logger = null)
        => _cache = new ZooKeeperTreeCache(client, path, recursive: false, logger);

    /// <summary>The node's path.</summary>
    public string Path => _cache.Path;

    /// <summary>The node as last seen, or null when it does not exist.</summary>
    public ZooKeeperCachedNode? Node => _cache.Get(_cache.Path);

    /// <summary>True once the initial read is in.</summary>
    public bool IsInitialized => _cache.IsInitialized;

    /// <summary>Raised for every change, in order.</summary>
    public event EventHandler<ZooKeeperCacheEvent>? Changed
    {
        add => _cache.Changed += value;
        remove => _cache.Changed -= value;
    }

    /// <summary>Every event from the moment of this call on.</summary>
    public IAsyncEnumerable<ZooKeeperCacheEvent> ChangesAsync(CancellationToken cancellationToken = default) => _cache.ChangesAsync(cancellationToken);

    /// <summary>Registers the watch and waits for the first read.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default) => _cache.StartAsync(cancellationToken);

    /// <summary>Removes the watch and stops.</summary>
    public ValueTask DisposeAsync() => _cache.DisposeAsync();
}
